/**
 * The agent's own failures: an exception anywhere in the sequence is logged
 * (`error`), the agent still writes `done` and exits with 70 before the budget
 * ends; a sequence that hangs is cut off by the failsafe at budget + margin.
 *
 * Black-box, no way was found to make the real agent throw: every spawn
 * failure (missing cwd, missing shell, NUL bytes in argv or env) is a step
 * failure (126/127), not an exception. So the platform is faked here: its
 * processes fail in ways a real OS layer is not supposed to.
 */

import assert from "node:assert/strict";
import { EXIT_MARGIN_MS, runAgent } from "../../src/agent.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { EXIT_FAILED, EXIT_INTERNAL } from "../../src/exit_codes.ts";
import { createLogger, type LogRecord } from "../../src/log/mod.ts";
import type { ExitStatus, ManagedProcess, Platform } from "../../src/platform/mod.ts";
import { EXIT_SLACK_MS } from "./support.ts";

/** How a fake process misbehaves. */
interface Behaviour {
  /** `spawn` throws this instead of returning. */
  spawnThrows?: unknown;
  /** The exit status promise: settles with this, rejects with it, or never settles. */
  status?: { exit: number } | { reject: unknown } | "never";
  /** `killTree` rejects with this, or never settles. */
  killTree?: { reject: unknown } | "never";
}

/** A platform whose processes behave as `behaviour(argv)` says. */
function fakePlatform(behaviour: (argv: readonly string[]) => Behaviour): {
  platform: Platform;
  release: () => void;
} {
  const hanging: (() => void)[] = [];
  const never = <T>(value: T) =>
    new Promise<T>((resolve) => {
      hanging.push(() => resolve(value));
    });
  const platform: Platform = {
    name: "posix",
    nativeName: (event) => event === "logoff" ? undefined : `FAKE_${event}`,
    listen: () => ({ ready: Promise.resolve(), narrow() {}, close() {} }),
    passOn() {},
    deliver() {},
    shutdownLimit: () => undefined,
    spawn(argv): ManagedProcess {
      const b = behaviour(argv);
      if ("spawnThrows" in b) throw b.spawnThrows;
      const status: Promise<ExitStatus> = b.status === "never"
        ? never({ code: 137 })
        : b.status && "reject" in b.status
        ? Promise.reject(b.status.reject)
        : Promise.resolve({ code: b.status?.exit ?? 0 });
      status.catch(() => {}); // rejections are observed by the agent, or not at all
      return {
        pid: 4242,
        status,
        stdout: null,
        stderr: null,
        deliver() {},
        killTree: () =>
          b.killTree === "never"
            ? never(undefined)
            : b.killTree
            ? Promise.reject(b.killTree.reject)
            : Promise.resolve(),
        reap() {},
      };
    },
  };
  return { platform, release: () => hanging.splice(0).forEach((f) => f()) };
}

function logger() {
  const sink = { writeSync: (p: Uint8Array) => p.length };
  return createLogger({ format: "json", stdout: sink, stderr: sink });
}

function config(yaml: string) {
  return parseConfig(yaml, { file: "agent.yaml", env: {} });
}

function assertInternalFailure(records: readonly LogRecord[], budgetMs: number, ms: number) {
  const text = records.map((r) => `${r.msg} ${JSON.stringify(r.fields)}`).join("\n");
  const errors = records.filter((r) => r.msg === "error");
  assert.equal(errors.length, 1, text);
  assert.ok(!String(errors[0].fields.message).includes("\n    at "), "no stack trace");
  const done = records.filter((r) => r.msg === "done");
  assert.equal(done.length, 1, text);
  assert.equal(records.at(-1)!.msg, "done", text);
  assert.equal(done[0].fields.exit_code, EXIT_INTERNAL, text);
  assert.ok(ms < budgetMs, `it exited in ${ms} ms, before the ${budgetMs} ms budget ended`);
}

/** Unexpected errors: not Deno.errors, not even Error objects. */
const ODD_ERRORS: [string, unknown][] = [
  ["a TypeError", new TypeError("cannot read properties of undefined")],
  ["a string", "plain string thrown"],
  ["an object", { code: "EWEIRD" }],
  ["undefined", undefined],
];

for (const [what, error] of ODD_ERRORS) {
  Deno.test({
    name: `a step whose exit status rejects with ${what}: error, done, exit 70 before the budget`,
    sanitizeOps: false, // the step's kill timer is left behind by the exception; it is short
    async fn() {
      const budgetMs = 800;
      const { platform } = fakePlatform((argv) =>
        argv.includes("explodes") ? { status: { reject: error } } : { status: { exit: 0 } }
      );
      const log = logger();
      const t0 = Date.now();
      const outcome = await runAgent({
        config: config(`
budget: 800ms
steps:
  - { name: fine, run: "echo fine", shell: sh }
  - { name: explodes, run: "explodes", shell: sh }
  - { name: never, run: "echo never", shell: sh }
`),
        platform,
        logger: log,
        immediateEvent: "shutdown",
      });
      assert.equal(outcome.exitCode, EXIT_INTERNAL);
      assertInternalFailure(log.records, budgetMs, Date.now() - t0);
      await new Promise((r) => setTimeout(r, budgetMs)); // let the stray timer fire
    },
  });
}

Deno.test({
  name: "killing a timed-out step throws: error, done, exit 70 before the budget",
  sanitizeOps: false,
  async fn() {
    const { platform, release } = fakePlatform(() => ({
      status: "never",
      killTree: { reject: new RangeError("kill went wrong") },
    }));
    const log = logger();
    const t0 = Date.now();
    const outcome = await runAgent({
      config: config(`
budget: 3s
steps:
  - { name: stuck, run: "x", shell: sh, timeout: 200ms }
`),
      platform,
      logger: log,
      immediateEvent: "shutdown",
    });
    release();
    assert.equal(outcome.exitCode, EXIT_INTERNAL);
    assertInternalFailure(log.records, 3_000, Date.now() - t0);
  },
});

Deno.test({
  name: "killing the app after its grace throws: error, done, exit 70 before the budget",
  sanitizeOps: false,
  async fn() {
    const { platform, release } = fakePlatform(() => ({
      status: "never",
      killTree: { reject: new Error("no such job") },
    }));
    const log = logger();
    const t0 = Date.now();
    const outcome = await runAgent({
      config: config(`
budget: 3s
main: { grace: 200ms }
steps: []
`),
      platform,
      logger: log,
      mainArgv: ["app"],
      immediateEvent: "shutdown",
    });
    release();
    assert.equal(outcome.exitCode, EXIT_INTERNAL);
    assertInternalFailure(log.records, 3_000, Date.now() - t0);
  },
});

Deno.test("spawn throwing something unexpected is a step failure, not an agent failure", async () => {
  const { platform } = fakePlatform((argv) =>
    argv.includes("odd") ? { spawnThrows: Symbol("odd") } : { status: { exit: 0 } }
  );
  const log = logger();
  const outcome = await runAgent({
    config: config(`
steps:
  - { name: odd, run: "odd", shell: sh }
  - { name: next, run: "echo next", shell: sh }
`),
    platform,
    logger: log,
    immediateEvent: "shutdown",
  });
  assert.equal(outcome.exitCode, EXIT_FAILED);
  const ends = log.records.filter((r) => r.msg === "step.end");
  assert.deepEqual(ends.map((r) => [r.fields.step, r.fields.outcome]), [
    ["odd", "failed"],
    ["next", "ok"],
  ]);
  assert.equal(log.records.at(-1)!.msg, "done");
});

Deno.test({
  name: "a sequence that hangs is cut off at budget + margin: error, done, exit 70",
  sanitizeOps: false,
  async fn() {
    // Neither the step's exit nor its kill ever completes.
    const { platform, release } = fakePlatform(() => ({ status: "never", killTree: "never" }));
    const log = logger();
    const t0 = Date.now();
    const outcome = await runAgent({
      config: config(`
budget: 500ms
steps:
  - { name: hangs, run: "x", shell: sh }
`),
      platform,
      logger: log,
      immediateEvent: "shutdown",
    });
    const ms = Date.now() - t0;
    release(); // let the abandoned sequence finish, so its timers go
    assert.equal(outcome.exitCode, EXIT_INTERNAL);
    assert.ok(ms >= 500 + EXIT_MARGIN_MS - 50, `not before the failsafe: ${ms} ms`);
    assert.ok(ms <= 500 + EXIT_MARGIN_MS + EXIT_SLACK_MS, `${ms} ms`);
    const errors = log.records.filter((r) => r.msg === "error");
    assert.equal(errors.length, 1);
    assert.match(String(errors[0].fields.message), /did not end within the budget/);
    const done = log.records.filter((r) => r.msg === "done");
    assert.equal(done.length, 1);
    assert.equal(done[0].fields.exit_code, EXIT_INTERNAL);
    await new Promise((r) => setTimeout(r, 100));
  },
});
