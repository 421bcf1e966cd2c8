/**
 * Supervisor mode on Windows, black-box, through the Wine lane: the Windows
 * agent (AGENT_CMD) starts the app, a Windows Deno running
 * tests/windows/fixtures/app.ts, on a console of its own; events are delivered
 * with `agent trigger` (CtrlRoutine). Runs only with AGENT_LANE=windows
 * (`deno task test:windows`).
 *
 * Windows pids are small and reused fast under Wine: processes are found on
 * the Linux side by their command lines (Wine shows the Windows command line
 * as the Unix one), which hold the test's own temp dir.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { LANE, readOr, startAgent, waitForFile, withConfig } from "./harness.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const APP = `${ROOT}tests/windows/fixtures/app.ts`;
const CONSOLE = `${ROOT}tests/windows/fixtures/console.ts`;
const windowsOnly = { ignore: LANE !== "windows", sanitizeOps: false, sanitizeResources: false };

/** The lane's variables (.wine-lane/env.sh): WINE, WINE_DENO, WINEPREFIX... */
function laneEnv(): Record<string, string> {
  let text = "";
  try {
    text = Deno.readTextFileSync(`${ROOT}.wine-lane/env.sh`);
  } catch {
    return {};
  }
  return Object.fromEntries(
    [...text.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2].replace(/^'(.*)'$/, "$1")]),
  );
}
const LANE_ENV = windowsOnly.ignore ? {} : laneEnv();

/**
 * The app's command: the Windows deno.exe (a Unix path, which the Windows
 * agent resolves on drive Z:) running app.ts.
 */
function app(dir: string, ...flags: string[]): string[] {
  return [LANE_ENV.WINE_DENO, "run", "-A", APP, dir, ...flags];
}

/** Lines of `order.txt`. */
async function order(dir: string): Promise<string[]> {
  return (await readOr(`${dir}/order.txt`)).split("\n").map((l) => l.trim()).filter(Boolean);
}

/** Unix processes whose command line contains `text` (zombies left out). */
async function processesWith(text: string): Promise<string[]> {
  const ps = await new Deno.Command("ps", { args: ["-eo", "stat=,args="] }).output();
  return new TextDecoder().decode(ps.stdout).split("\n")
    .filter((l) => l.includes(text) && !l.trimStart().startsWith("Z"));
}

/** Waits until no process has `text` in its command line (up to `ms`). */
async function gone(text: string, ms = 3000): Promise<string[]> {
  const deadline = Date.now() + ms;
  let left = await processesWith(text);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await processesWith(text);
  }
  return left;
}

Deno.test({
  ...windowsOnly,
  name: "windows: before steps run before the app gets its stop event, after steps after it exited",
  async fn() {
    await using cfg = await withConfig(`
main: { grace: 10s }
steps:
  - { name: drain, run: "echo drain >> order.txt" }
  - { name: flush, when: after, run: "echo flush >> order.txt" }
`);
    const agent = startAgent(["run", "-c", cfg.config, "--", ...app(cfg.dir, "--code=3")], {
      cwd: cfg.dir,
    });
    try {
      assert.equal((await agent.waitFor("ready")).fields.mode, "supervisor");
      await waitForFile(`${cfg.dir}/order.txt`, 30_000);
      await agent.send("shutdown");
      assert.equal(await agent.exited, 3, agent.transcript());
    } finally {
      agent.kill();
    }
    assert.deepEqual(await order(cfg.dir), ["app-started", "drain", "app-got-shutdown", "flush"]);
    const msgs = agent.records().map((r) => r.msg).filter((m) =>
      ["main.start", "ready", "event", "main.stop", "main.exit", "done"].includes(m)
    );
    assert.deepEqual(msgs, ["main.start", "ready", "event", "main.stop", "main.exit", "done"]);
    assert.equal(agent.named("main.exit")[0].fields.exit_code, "3");
    // The app writes to the agent's own stdout and stderr (the container log).
    assert.ok(agent.stdout.includes("app-output-line"), agent.transcript());
    assert.ok(agent.stdout.includes("app-stopping shutdown"), agent.transcript());
    assert.ok(agent.stderr.includes("app-error-line"), agent.transcript());
  },
});

Deno.test({
  ...windowsOnly,
  name: "windows: a Ctrl+C on the agent's console reaches the agent, not the app: order is kept",
  async fn() {
    // The console fixture plays the container: the agent runs on its console
    // (a pseudo-terminal), and once the app has started it sends CTRL_C_EVENT
    // to every process of that console. An app started on the agent's console
    // would get it at once and exit before the `drain` step ran. The agent's
    // stdout is that console: the app's output is relayed through a pipe.
    await using cfg = await withConfig(`
log: { file: agent.log }
main: { grace: 10s }
steps:
  - { name: drain, run: "echo drain >> order.txt" }
  - { name: flush, when: after, run: "echo flush >> order.txt" }
`);
    const agentArgs = ["run", "-A", `${ROOT}main.ts`, "run", "-c", cfg.config];
    const inner = [
      LANE_ENV.WINE,
      LANE_ENV.WINE_DENO,
      "run",
      "-A",
      CONSOLE,
      cfg.dir,
      "--",
      ...agentArgs,
      "--",
      ...app(cfg.dir, "--code=4"),
    ].map((a) => `'${a}'`).join(" ");
    const out = await new Deno.Command("script", {
      args: ["-qfc", inner, "/dev/null"],
      env: LANE_ENV,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(90_000),
    }).output();
    const terminal = new TextDecoder().decode(out.stdout)
      .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[a-zA-Z]`, "g"), "")
      .replace(/[\r\n]/g, "");
    const result = JSON.parse(await readOr(`${cfg.dir}/console-result.json`) || "null") as {
      generated: unknown;
      code: number;
    } | null;
    const log = await readOr(`${cfg.dir}/agent.log`);
    const context = `${log}\n--- terminal ---\n${terminal}`;
    assert.ok(result, `console.ts wrote no result:\n${context}`);
    assert.equal(result.generated, true, context);
    assert.match(log, /event event=ctrl-c source=console detail=CTRL_C_EVENT/, context);
    assert.deepEqual(await order(cfg.dir), ["app-started", "drain", "app-got-ctrl-c", "flush"]);
    assert.equal(result.code, 4, context);
    assert.ok(terminal.includes("app-output-line"), context);
    assert.ok(terminal.includes("app-error-line"), context);
  },
});

Deno.test({
  ...windowsOnly,
  name: "windows: an app that ignores its stop event is killed after grace, with its grandchild",
  async fn() {
    await using cfg = await withConfig(`
main: { grace: 1s }
steps:
  - { name: after, when: after, run: "echo after-ran" }
`);
    const agent = startAgent(
      ["run", "-c", cfg.config, "--", ...app(cfg.dir, "--ignore", "--grandchild")],
      { cwd: cfg.dir },
    );
    try {
      await waitForFile(`${cfg.dir}/grandchild.pid`, 30_000);
      await waitForFile(`${cfg.dir}/order.txt`, 30_000);
      const sleeper = `${cfg.dir} --sleeper`;
      assert.equal((await processesWith(sleeper)).length, 1, "the grandchild is not running");
      await agent.send("shutdown");
      assert.equal(await agent.exited, 137, agent.transcript());
      assert.equal(agent.named("main.kill").length, 1, agent.transcript());
      assert.deepEqual(agent.output("after"), ["after-ran"]);
      assert.deepEqual(await order(cfg.dir), ["app-started", "app-got-shutdown"]);
      assert.deepEqual(await gone(sleeper), [], "the app's grandchild survived");
      assert.deepEqual(await gone(`${APP} ${cfg.dir}`), [], "the app survived");
    } finally {
      agent.kill();
    }
  },
});

Deno.test({
  ...windowsOnly,
  name: "windows: a step that starts grandchildren and hangs is killed with all of them",
  async fn() {
    // The step (dax) starts the app fixture, which starts a grandchild; both hang.
    const run = [LANE_ENV.WINE_DENO, "run", "-A", APP, "${DIR}", "--ignore", "--grandchild"];
    await using cfg = await withConfig(`
steps:
  - { name: hang, timeout: 8s, run: "${run.join(" ")}" }
`);
    const agent = startAgent(["run", "-c", cfg.config], {
      cwd: cfg.dir,
      env: { DIR: cfg.dir },
    });
    try {
      await agent.ready();
      await agent.send("shutdown");
      await waitForFile(`${cfg.dir}/grandchild.pid`, 30_000);
      const sleeper = `${cfg.dir} --sleeper`;
      assert.equal(await agent.exited, 1, agent.transcript());
      const end = agent.named("step.end")[0];
      assert.equal(end.fields.outcome, "timeout", agent.transcript());
      assert.deepEqual(await gone(sleeper), [], "the step's grandchild survived");
      assert.deepEqual(await gone(`${APP} ${cfg.dir}`), [], "the step's child survived");
    } finally {
      agent.kill();
    }
  },
});

Deno.test({
  ...windowsOnly,
  name: "windows: an app that exits on its own: the steps run once, its code passes (0, 3, 255)",
  async fn() {
    for (const code of [0, 3, 255]) {
      await using cfg = await withConfig(`
steps:
  - { name: before-step, run: "echo b >> ran.txt" }
  - { name: after-step, when: after, run: "echo a >> ran.txt" }
`);
      const agent = startAgent(
        ["run", "-c", cfg.config, "--", ...app(cfg.dir, `--exit=${code}`)],
        { cwd: cfg.dir },
      );
      try {
        assert.equal(await agent.exited, code, agent.transcript());
      } finally {
        agent.kill();
      }
      assert.deepEqual((await readOr(`${cfg.dir}/ran.txt`)).trim().split(/\s+/), ["b", "a"]);
      assert.equal(agent.named("main.stop").length, 0, "an exited app is not stopped");
      assert.equal(agent.named("event").length, 0);
      assert.equal(agent.named("done")[0].fields.exit_code, String(code));
      assert.ok(agent.stdout.includes("app-output-line"), agent.transcript());
      assert.ok(agent.stderr.includes("app-error-line"), agent.transcript());
    }
  },
});

Deno.test({
  ...windowsOnly,
  name: "windows: an app that is not found exits 127, one that cannot be executed 126",
  async fn() {
    await using cfg = await withConfig(`steps: []\n`);
    const notFound = startAgent(["run", "-c", cfg.config, "--", "no-such-command-xyz"], {
      cwd: cfg.dir,
    });
    assert.equal(await notFound.exited, 127, notFound.transcript());
    assert.match(notFound.transcript(), /Command not found: no-such-command-xyz/);
    await Deno.writeTextFile(`${cfg.dir}/not-a-program.exe`, "this is text\n");
    const notExec = startAgent(
      ["run", "-c", cfg.config, "--", `${cfg.dir}/not-a-program.exe`],
      { cwd: cfg.dir },
    );
    assert.equal(await notExec.exited, 126, notExec.transcript());
    assert.match(notExec.transcript(), /Cannot execute/);
  },
});
