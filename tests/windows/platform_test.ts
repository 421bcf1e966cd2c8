/**
 * The Windows platform, tested with real events: the fixtures in fixtures/
 * run under Wine with the Windows build of Deno (the "Wine test lane",
 * scripts/setup_wine.sh), and deliver real console control events
 * (CreateRemoteThread at CtrlRoutine) and real session-end messages.
 *
 * This file runs on Linux. Every test is skipped, with a message, when the
 * Wine lane is not set up; scripts/test_windows.sh sets it up first.
 *
 * Scenarios start when the module loads and run a few at a time (each Wine
 * process takes about a second to start); each test awaits its own.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const LANE_ENV = `${ROOT}.wine-lane/env.sh`;
const WINE_DENO = `${ROOT}scripts/wine_deno.sh`;
const FIXTURES = `${ROOT}tests/windows/fixtures`;

const laneReady = (() => {
  try {
    return Deno.statSync(LANE_ENV).isFile;
  } catch {
    return false;
  }
})();
const ignore = !laneReady;
if (ignore) {
  console.warn(
    `tests/windows: SKIPPED: ${LANE_ENV} is missing. ` +
      "Run scripts/test_windows.sh (it sets up the Wine lane first).",
  );
}

// ------------------------------------------------------------------ helpers

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const decoder = new TextDecoder();

/** At most `n` scenarios at once (this machine may have few cores). */
function limiter(n: number) {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}
const limit = limiter(Number(Deno.env.get("WINE_TEST_CONCURRENCY") ?? 4));

/**
 * Starts a fixture under Wine. Its stdout and stderr go to files, not pipes:
 * the first Wine process may start the wineserver (and Wine's services),
 * which inherit the handles and would keep a pipe open long after the
 * fixture exited.
 */
function wineStart(args: string[], timeoutMs: number) {
  const dir = Deno.makeTempDirSync({ prefix: "win-run-" });
  const child = new Deno.Command("bash", {
    args: ["-c", 'exec "$0" "$@" >"$OUT" 2>"$ERR" </dev/null', WINE_DENO, "run", "-A", ...args],
    env: { OUT: `${dir}/out`, ERR: `${dir}/err` },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutMs);
  const done = child.status.then((status) => {
    clearTimeout(timer);
    const result = {
      code: status.code,
      stdout: readText(`${dir}/out`) ?? "",
      stderr: (timedOut ? `(killed after ${timeoutMs} ms)\n` : "") + (readText(`${dir}/err`) ?? ""),
    };
    Deno.removeSync(dir, { recursive: true });
    return result;
  });
  return done;
}

/** Runs a fixture under Wine to completion. */
function wineRun(args: string[], timeoutMs = 30_000) {
  return wineStart(args, timeoutMs);
}

/** The JSON lines a fixture printed. */
function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

interface Ready {
  pid: number;
  hwnd: string | null;
}

interface HoldResult {
  /** Exit code of the hold fixture. */
  code: number;
  /** Its log lines, without the leading timestamps. */
  lines: string[];
  /** Its log lines with timestamps (ms since start). */
  timed: { t: number; line: string }[];
  marker1?: string;
  marker2?: string;
  ready: Ready;
  /** What the trigger step returned. */
  trigger: unknown;
  stderr: string;
  /** When the first event reached the handler, ms since the fixture started. */
  at(prefix: string): number | undefined;
}

interface HoldOptions {
  events: string;
  flags?: string[];
  v8Flags?: string;
  /** Delivers the events, once the fixture is ready. */
  trigger: (ready: Ready) => Promise<unknown>;
}

/** Runs hold.ts under Wine, triggers it, and collects what happened. */
function runHold(options: HoldOptions): Promise<HoldResult> {
  return limit(async () => {
    const dir = await Deno.makeTempDir({ prefix: "win-hold-" });
    try {
      const args = [
        ...(options.v8Flags ? [`--v8-flags=${options.v8Flags}`] : []),
        `${FIXTURES}/hold.ts`,
        dir,
        options.events,
        ...(options.flags ?? []),
      ];
      let exited = false;
      const output = wineStart(args, 40_000).finally(() => exited = true);
      let ready: Ready | undefined;
      for (let i = 0; i < 300 && !ready && !exited; i++) {
        const text = readText(`${dir}/ready`);
        if (text) ready = JSON.parse(text);
        else await sleep(100);
      }
      let trigger: unknown;
      if (ready) trigger = await options.trigger(ready);
      const out = await output;
      const timed = (readText(`${dir}/log`) ?? "").split("\n").filter(Boolean).map((l) => {
        const space = l.indexOf(" ");
        return { t: Number(l.slice(0, space)), line: l.slice(space + 1) };
      });
      const stderr = out.stderr;
      assert.ok(ready, `hold.ts never became ready:\n${stderr}\n${timed.map((l) => l.line)}`);
      return {
        code: out.code,
        lines: timed.map((l) => l.line),
        timed,
        marker1: readText(`${dir}/marker1`),
        marker2: readText(`${dir}/marker2`),
        ready,
        trigger,
        stderr,
        at: (prefix: string) => timed.find((l) => l.line.startsWith(prefix))?.t,
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** Delivers `events` (comma-separated) to `pid` with trigger.ts; returns its JSON lines. */
async function deliver(pid: number, events: string, gapMs = 0) {
  const out = await wineRun([`${FIXTURES}/trigger.ts`, String(pid), events, `--gap=${gapMs}`]);
  const lines = jsonLines(out.stdout);
  // Under load, Wine sometimes ends a finished process with SIGKILL (137)
  // while it exits; what it printed is what counts.
  assert.ok(
    out.code === 0 || (out.code === 137 && lines.length === events.split(",").length),
    `trigger.ts exited with ${out.code}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`,
  );
  if (out.code !== 0) console.warn(`(trigger.ts exited with ${out.code} after delivering)`);
  return lines;
}

/** Sends WM_QUERYENDSESSION + WM_ENDSESSION to `hwnd` with trigger.ts. */
async function endSession(hwnd: string | null, logoff = false) {
  assert.ok(hwnd, "the fixture has no window (is the Wine lane's Graphics driver 'null'?)");
  const out = await wineRun([
    `${FIXTURES}/trigger.ts`,
    "--window",
    hwnd,
    ...(logoff ? ["logoff"] : []),
  ]);
  assert.equal(out.code, 0, out.stderr);
  return jsonLines(out.stdout);
}

/** Scenarios start at once (a few at a time); tests await their own. */
function scenario<T>(run: () => Promise<T>): () => Promise<T> {
  if (ignore) return run;
  const started = run();
  started.catch(() => {}); // reported by the test that awaits it
  return () => started;
}

const testOptions = { ignore, sanitizeOps: false, sanitizeResources: false };

const NATIVE: Record<string, string> = {
  "shutdown": "CTRL_SHUTDOWN_EVENT",
  "close": "CTRL_CLOSE_EVENT",
  "logoff": "CTRL_LOGOFF_EVENT",
  "ctrl-c": "CTRL_C_EVENT",
  "ctrl-break": "CTRL_BREAK_EVENT",
};
const ALL = Object.keys(NATIVE);

// ------------------------------------------------------------------ scenarios

const held = Object.fromEntries(ALL.map((name) => [
  name,
  scenario(() =>
    runHold({
      events: name,
      flags: ["--no-window", "--cleanup-ms=300"],
      trigger: (ready) => deliver(ready.pid, name),
    })
  ),
]));

const passed = Object.fromEntries(ALL.map((name) => [
  name,
  scenario(() =>
    runHold({
      // listen for every event but this one
      events: ALL.filter((other) => other !== name).join(","),
      flags: ["--no-window", "--cleanup-ms=300"],
      trigger: (ready) => deliver(ready.pid, name),
    })
  ),
]));

const holdsWhileCleanupRuns = scenario(() =>
  runHold({
    events: "shutdown,close,ctrl-c",
    flags: ["--no-window", "--cleanup-ms=1500"],
    trigger: (ready) => deliver(ready.pid, "shutdown"),
  })
);

const twoEvents = scenario(() =>
  runHold({
    events: "shutdown,close",
    flags: ["--no-window", "--cleanup-ms=800"],
    trigger: (ready) => deliver(ready.pid, "shutdown,close", 100),
  })
);

const twoEventsReleased = scenario(() =>
  runHold({
    events: "shutdown,close",
    flags: ["--no-window", "--cleanup-ms=800", "--release", "--exit-after=800"],
    trigger: (ready) => deliver(ready.pid, "shutdown,close", 100),
  })
);

const afterGc = scenario(() =>
  runHold({
    events: "shutdown",
    flags: ["--gc", "--cleanup-ms=500"],
    v8Flags: "--expose-gc,--stress-compaction,--gc-global",
    trigger: (ready) => deliver(ready.pid, "shutdown"),
  })
);

const denoListenerFirst = scenario(() =>
  runHold({
    events: "ctrl-c",
    flags: ["--no-window", "--sigint-first", "--cleanup-ms=800"],
    trigger: (ready) => deliver(ready.pid, "ctrl-c"),
  })
);

const holdLimit = scenario(() =>
  runHold({
    events: "shutdown",
    flags: [
      "--no-window",
      "--cleanup-ms=1500",
      "--hold-limit=400",
      "--release",
      "--exit-after=200",
    ],
    trigger: (ready) => deliver(ready.pid, "shutdown"),
  })
);

const windowEndSession = scenario(() =>
  runHold({
    events: "shutdown",
    flags: ["--cleanup-ms=1000"],
    trigger: (ready) => endSession(ready.hwnd),
  })
);

const windowLogoffPassed = scenario(() =>
  runHold({
    events: "shutdown",
    flags: ["--cleanup-ms=300", "--release", "--exit-after=300"],
    trigger: async (ready) => {
      const sent = await endSession(ready.hwnd, true);
      // the logoff was passed on: nothing runs; end the fixture with a console event
      await deliver(ready.pid, "shutdown");
      return sent;
    },
  })
);

const windowDuringConsoleHold = scenario(() =>
  runHold({
    events: "shutdown,close",
    flags: ["--cleanup-ms=2500"],
    trigger: async (ready) => {
      await deliver(ready.pid, "shutdown");
      return await endSession(ready.hwnd);
    },
  })
);

const notFound = scenario(() => limit(() => deliver(999_996, "shutdown")));

const args = scenario(() => limit(() => wineRun([`${FIXTURES}/args.ts`, "spawn"])));

const jobs = Object.fromEntries(
  ([
    ["kill", 43],
    ["grace", 47],
    ["reap", 53],
    ["close", 59],
    ["deliver", 0],
    ["inherit", 61],
    ["pipe", 0],
    ["cancel", 67],
  ] as const).map((
    [mode, count],
  ) => [
    mode,
    scenario(() =>
      limit(async () => {
        const out = await wineRun([`${FIXTURES}/job.ts`, mode, String(count)]);
        await sleep(300);
        const ps = await new Deno.Command("ps", { args: ["-eo", "stat=,args="] }).output();
        const survivors = decoder.decode(ps.stdout).split("\n")
          .filter((l) => l.includes(`ping -n ${count} `) && !l.trimStart().startsWith("Z"));
        return { ...out, result: jsonLines(out.stdout)[0] ?? {}, survivors };
      })
    ),
  ]),
);

/** Every scenario above (the wineboot test runs after all of them). */
const allScenarios: (() => Promise<unknown>)[] = [
  ...Object.values(held),
  ...Object.values(passed),
  holdsWhileCleanupRuns,
  twoEvents,
  twoEventsReleased,
  afterGc,
  denoListenerFirst,
  holdLimit,
  windowEndSession,
  windowLogoffPassed,
  windowDuringConsoleHold,
  notFound,
  args,
  ...Object.values(jobs),
];

// ------------------------------------------------------------------ tests

for (const name of ALL) {
  Deno.test({
    name: `console: ${name} (${
      NATIVE[name]
    }) reaches the handler, which holds until the cleanup is done`,
    ...testOptions,
    async fn() {
      const r = await held[name]();
      const context = `${r.lines.join("\n")}\n${r.stderr}`;
      assert.ok(r.lines.includes(`event ${name} console ${NATIVE[name]}`), context);
      assert.equal(r.marker1, name, context);
      assert.equal(r.marker2, name, context);
      assert.equal(r.code, 5, context);
    },
  });

  Deno.test({
    name: `console: ${name} not listened for is passed on (the process ends, no cleanup)`,
    ...testOptions,
    async fn() {
      const r = await passed[name]();
      const context = `${r.lines.join("\n")}\n${r.stderr}`;
      assert.equal(r.marker1, undefined, context);
      assert.ok(!r.lines.some((l) => l.startsWith("event ")), context);
      // Wine's default handler ends the process with code 0 (Windows: STATUS_CONTROL_C_EXIT).
      assert.equal(r.code, 0, context);
    },
  });
}

Deno.test({
  name: "console: the handler holds while a subprocess and timers run; the process exits after",
  ...testOptions,
  async fn() {
    const r = await holdsWhileCleanupRuns();
    const context = `${r.lines.join("\n")}\n${r.stderr}`;
    assert.equal(r.code, 5, context);
    assert.equal(r.marker2, "shutdown", context);
    assert.ok(r.lines.includes("subprocess said cleanup-sub"), context);
    const started = r.at("event shutdown")!, done = r.at("cleanup done")!;
    assert.ok(done - started >= 1500, `cleanup took ${done - started} ms\n${context}`);
  },
});

Deno.test({
  name: "console: a second event during the hold does not start the cleanup again",
  ...testOptions,
  async fn() {
    const r = await twoEvents();
    const context = `${r.lines.join("\n")}\n${r.stderr}`;
    assert.deepEqual(r.trigger, [
      { event: "shutdown", ok: true },
      { event: "close", ok: true },
    ]);
    assert.equal(r.code, 5, context);
    assert.equal(r.lines.filter((l) => l === "cleanup done").length, 1, context);
    assert.equal(r.lines.filter((l) => l.startsWith("subprocess said")).length, 1, context);
  },
});

Deno.test({
  name: "console: a second event waits for the release, then is reported as a repeat",
  ...testOptions,
  async fn() {
    // Windows calls handlers under the process's console lock, so the second
    // event reaches the agent only once the first is released.
    const r = await twoEventsReleased();
    const context = `${r.lines.join("\n")}\n${r.stderr}`;
    assert.equal(r.code, 6, context);
    assert.equal(r.lines.filter((l) => l === "cleanup done").length, 1, context);
    const done = r.at("cleanup done")!, repeat = r.at("repeat close ignored");
    assert.ok(repeat !== undefined && repeat >= done, context);
  },
});

Deno.test({
  name: "console: still works after forced garbage collection in the main isolate and the workers",
  ...testOptions,
  async fn() {
    const r = await afterGc();
    const context = `${r.lines.join("\n")}\n${r.stderr.slice(-2000)}`;
    assert.equal(r.code, 5, context);
    assert.equal(r.marker2, "shutdown", context);
  },
});

Deno.test({
  name: "console: a Deno signal listener added before does not pre-empt the held handler",
  ...testOptions,
  async fn() {
    const r = await denoListenerFirst();
    const context = `${r.lines.join("\n")}\n${r.stderr}`;
    assert.ok(r.lines.includes("deno signal listener added"), context);
    assert.equal(r.code, 5, context);
    assert.equal(r.marker2, "ctrl-c", context);
    assert.ok(!r.lines.includes("deno-sigint-listener"), context);
  },
});

Deno.test({
  name: "console: the hold limit releases the handler even if the shutdown is not over",
  ...testOptions,
  async fn() {
    const r = await holdLimit();
    const context = `${r.lines.join("\n")}\n${r.stderr}`;
    const started = r.at("event shutdown")!, timeout = r.at("hold-timeout shutdown");
    assert.ok(timeout !== undefined, context);
    assert.ok(timeout - started >= 350 && timeout - started < 1400, context);
    // Under Wine a released CTRL_SHUTDOWN handler does not end the process.
    assert.equal(r.code, 6, context);
  },
});

Deno.test({
  name: "window: WM_ENDSESSION reaches the handler, which holds until the cleanup is done",
  ...testOptions,
  async fn() {
    const r = await windowEndSession();
    const context = `${r.lines.join("\n")}\n${r.stderr}\n${JSON.stringify(r.trigger)}`;
    assert.ok(r.lines.includes("event shutdown window WM_ENDSESSION"), context);
    assert.equal(r.code, 5, context);
    assert.equal(r.marker2, "shutdown", context);
    const [query, end] = r.trigger as { answer?: string; ms?: number }[];
    assert.equal(query.answer, "1", context); // WM_QUERYENDSESSION: TRUE
    assert.ok(end.ms! >= 1000, context); // WM_ENDSESSION returned only at exit
  },
});

Deno.test({
  name: "window: a session end not listened for is passed on",
  ...testOptions,
  async fn() {
    const r = await windowLogoffPassed();
    const context = `${r.lines.join("\n")}\n${r.stderr}`;
    assert.ok(r.lines.includes("passed logoff window WM_ENDSESSION (ENDSESSION_LOGOFF)"), context);
    assert.ok(r.lines.includes("event shutdown console CTRL_SHUTDOWN_EVENT"), context);
    assert.equal(r.lines.filter((l) => l.startsWith("event ")).length, 1, context);
    assert.equal(r.code, 6, context);
  },
});

Deno.test({
  name: "window: WM_ENDSESSION during a console hold is reported at once and held too",
  ...testOptions,
  async fn() {
    const r = await windowDuringConsoleHold();
    const context = `${r.lines.join("\n")}\n${r.stderr}`;
    const repeat = r.at("repeat shutdown ignored"), done = r.at("cleanup done")!;
    assert.ok(repeat !== undefined && repeat < done, context);
    assert.equal(r.lines.filter((l) => l === "cleanup done").length, 1, context);
    assert.equal(r.code, 5, context);
  },
});

/**
 * Opt-in (WINE_TEST_WINEBOOT=1): `wineboot --end-session` ends the whole Wine
 * session of the prefix (services.exe, explorer.exe and the rest exit), which
 * disturbs anything else using the lane at the same time, and in about one run
 * in four here it spent ~40 s before reaching the window. The session-end
 * messages themselves are covered above with SendMessageTimeoutW.
 */
const wineboot = Deno.env.get("WINE_TEST_WINEBOOT") === "1";
if (!ignore && !wineboot) {
  console.warn("tests/windows: the wineboot --end-session test is opt-in: WINE_TEST_WINEBOOT=1");
}

Deno.test({
  name: "window: `wineboot --end-session` reaches the handler, which holds until done",
  ...testOptions,
  ignore: ignore || !wineboot,
  async fn() {
    // wineboot sends the session-end messages to every window of the prefix:
    // run it alone, after the other scenarios.
    // Every Wine process has windows (user32's IME window at least); one that
    // is busy delays wineboot by its timeouts.
    await Promise.allSettled(allScenarios.map((s) => s()));
    const r = await runHold({
      events: "shutdown",
      flags: ["--cleanup-ms=1000"],
      trigger: async () => {
        const env = Object.fromEntries(
          decoder.decode(
            (await new Deno.Command("bash", {
              args: ["-c", `source '${LANE_ENV}' && env`],
            }).output()).stdout,
          ).split("\n").filter((l) => l.startsWith("WINE")).map((l) => l.split(/=(.*)/s, 2)),
        );
        const t0 = Date.now();
        const out = await new Deno.Command(env.WINE, {
          args: ["wineboot", "--end-session"],
          env,
          stdout: "piped",
          stderr: "piped",
        }).output();
        return { code: out.code, ms: Date.now() - t0 };
      },
    });
    const context = `${r.lines.join("\n")}\n${r.stderr}\n${JSON.stringify(r.trigger)}`;
    assert.ok(r.lines.includes("event shutdown window WM_ENDSESSION"), context);
    assert.equal(r.code, 5, context);
    assert.equal(r.marker2, "shutdown", context);
    assert.ok((r.trigger as { ms: number }).ms >= 1000, context);
  },
});

Deno.test({
  name: "deliver: no such process → DeliveryError not-found",
  ...testOptions,
  async fn() {
    const [result] = await notFound();
    assert.deepEqual(result, {
      event: "shutdown",
      ok: false,
      kind: "not-found",
      message: "No process with id 999996",
    });
  },
});

/** A job fixture's run in which the leader and its one grandchild were killed at once. */
function assertKilledWithGrandchild(
  run: { result: Record<string, unknown>; survivors: unknown[]; stderr: string },
): void {
  const { result, survivors, stderr } = run;
  const context = `${JSON.stringify(result)}\n${stderr}`;
  assert.equal((result.grandchildren as number[]).length, 1, context);
  assert.equal(result.aliveBefore, 1, context);
  assert.equal(result.aliveAfter, 0, context);
  assert.deepEqual(result.leaderStatus, { code: 137 }, context);
  assert.deepEqual(survivors, [], context);
}

Deno.test({
  name: "job: killTree({ graceMs: 0 }) ends the child and its grandchild at once",
  ...testOptions,
  fn: async () => assertKilledWithGrandchild(await jobs.kill()),
});

Deno.test({
  name: "job: the main app's way in (stdio inherit: CreateProcessW, suspended, in the job) " +
    "is killed with its grandchild",
  ...testOptions,
  fn: async () => assertKilledWithGrandchild(await jobs.inherit()),
});

Deno.test({
  name: "job: killTree({ graceMs }) asks politely (CTRL_SHUTDOWN_EVENT to the job) first",
  ...testOptions,
  async fn() {
    const { result, survivors, stderr } = await jobs.grace();
    const context = `${JSON.stringify(result)}\n${stderr}`;
    assert.equal(result.aliveBefore, 1, context);
    assert.equal(result.aliveAfter, 0, context);
    // cmd.exe ended on the polite request, well before the 3 s grace
    assert.deepEqual(result.leaderStatus, { code: 0 }, context);
    assert.ok((result.ms as number) < 2500, context);
    assert.deepEqual(survivors, [], context);
  },
});

Deno.test({
  name: "job: reap() ends the whole tree at once",
  ...testOptions,
  async fn() {
    const { result, survivors, stderr } = await jobs.reap();
    const context = `${JSON.stringify(result)}\n${stderr}`;
    assert.equal(result.aliveBefore, 1, context);
    assert.deepEqual(result.leaderStatus, { code: 137 }, context);
    assert.equal(result.aliveAfter, 0, context);
    assert.deepEqual(survivors, [], context);
  },
});

Deno.test({
  name: "job: closing the job handle ends the tree (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE)",
  ...testOptions,
  async fn() {
    const { result, survivors, stderr } = await jobs.close();
    const context = `${JSON.stringify(result)}\n${stderr}`;
    assert.equal(result.aliveBefore, 1, context);
    assert.equal(result.aliveAfter, 0, context);
    assert.deepEqual(survivors, [], context);
  },
});

Deno.test({
  name: "job: ManagedProcess.deliver reaches the child's held handler",
  ...testOptions,
  async fn() {
    const { result, stderr } = await jobs.deliver();
    const context = `${JSON.stringify(result)}\n${stderr}`;
    assert.deepEqual(result.status, { code: 5 }, context);
    assert.match(String(result.log), /event ctrl-break console CTRL_BREAK_EVENT/, context);
    assert.match(String(result.log), /cleanup done/, context);
  },
});

Deno.test({
  name: "job: a step's (stdio piped) output arrives line by line, its grandchild started " +
    "first thing is in the job, and EOF arrives when the whole tree has exited",
  ...testOptions,
  async fn() {
    const { result, stderr } = await jobs.pipe();
    const context = `${JSON.stringify(result)}\n${stderr}`;
    const lines = result.lines as { line: string; ms: number }[];
    const at = (line: string) => lines.find((l) => l.line === line)?.ms ?? NaN;
    assert.deepEqual(
      lines.map((l) => l.line).slice(1),
      ["line 1", "line 2", "grandchild done"],
      context,
    );
    // `line 2` is written 800 ms after `line 1`: it did not wait for the end
    assert.ok(at("line 2") - at("line 1") >= 600, context);
    assert.ok(at("grandchild done") - at("line 2") >= 300, context);
    assert.equal(result.selfInJob, false, context);
    assert.equal(result.grandchildInJob, true, context);
    assert.deepEqual(result.status, { code: 0 }, context);
    assert.deepEqual(result.errLines, ["leader exits"], context);
    // EOF only once the tree is gone (the grandchild, last to write, exited before the leader)
    assert.ok((result.stdoutEndMs as number) >= at("grandchild done"), context);
    assert.ok((result.stdoutEndMs as number) >= (result.exitMs as number) - 50, context);
  },
});

Deno.test({
  name: "job: cancelling a piped stream that a live process holds settles at once",
  ...testOptions,
  async fn() {
    const { result, survivors, stderr } = await jobs.cancel();
    const context = `${JSON.stringify(result)}\n${stderr}`;
    assert.ok((result.cancelMs as number) < 200, context);
    assert.deepEqual(result.leaderStatus, { code: 137 }, context);
    assert.deepEqual(survivors, [], context);
  },
});

Deno.test({
  name: "createProcess: arguments, environment and cwd reach the child unchanged (MSVCRT rules)",
  ...testOptions,
  async fn() {
    const out = await args();
    const context = `${out.stdout}\n${out.stderr}`;
    const [printed, spawned] = jsonLines(out.stdout);
    assert.ok(Array.isArray(spawned?.expected), context);
    assert.deepEqual(printed?.args, spawned.expected, context);
    assert.equal(printed?.env, "value with spaces", context);
    assert.equal(printed?.cwd, spawned?.cwd, context);
    assert.equal(spawned?.code, 0, context);
    assert.equal(spawned?.notFound, "NotFound", context);
  },
});
