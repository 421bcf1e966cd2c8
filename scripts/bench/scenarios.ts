/**
 * The measurements. Each starts real processes (the agent, tini, dumb-init, a
 * busy-waiting baseline, a bare Deno program), drives them with real signals
 * and returns one {@link Series} per subject.
 *
 * Time stamps: `performance.now()` for intervals seen by the benchmark itself
 * (spawn to first line, signal to exit); for events inside other processes the
 * process writes `date +%s%N` to a file, compared with the benchmark's wall
 * clock at the moment it sent the signal (see {@link wallClockOffset}).
 *
 * @module
 */

import { join } from "node:path";
import {
  cpuDeltaMs,
  cpuSnapshot,
  delay,
  nanosToEpochMs,
  rssMiB,
  RunningProcess,
  wallClockOffset,
} from "./proc.ts";
import { Series } from "./series.ts";

/** One way to start the agent: `deno run -A main.ts`, or a compiled binary. */
export interface AgentFlavour {
  /** Short name used in the table ("agent", "agent-bin"). */
  label: string;
  /** The argv prefix that starts it. */
  argv: string[];
}

/** What every measurement needs. */
export interface BenchContext {
  /** The repository root. */
  root: string;
  /** A scratch directory for configs and marker files. */
  tmp: string;
  /** Repetitions per subject. */
  runs: number;
  /** Length of one idle window, in seconds. */
  idleSeconds: number;
  /** Number of idle windows. */
  idleRuns: number;
  /** The agents to measure. */
  agents: AgentFlavour[];
  /** `tini` and `dumb-init`: undefined when available, else why not. */
  missing: Record<string, string | undefined>;
  /** Progress output (stderr). */
  log: (line: string) => void;
}

/** Pause after `ready` before the event, so that start-up work has settled. */
const SETTLE_MS = 150;

/** How long a process may take to become ready. */
const READY_TIMEOUT_MS = 20_000;

/**
 * The seed's way of waiting (a loop polling a flag that the handler sets),
 * as a shell loop: dash checks for pending traps between commands.
 */
const BUSY_LOOP = 'stop=0; trap "stop=1" TERM; while [ "$stop" = 0 ]; do :; done';

/** The supervised app: writes a timestamp to `$1` when its TERM handler runs, then exits 0. */
const APP = `trap 'date +%s%N > "$1"; kill $! 2>/dev/null; exit 0' TERM
echo app-up
sleep 1000 & wait $!`;

/** Writes an agent config (JSON is YAML) into the scratch directory; returns its path. */
function writeConfig(ctx: BenchContext, name: string, config: unknown): string {
  const path = join(ctx.tmp, `${name}.yaml`);
  Deno.writeTextFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** The small, realistic config of the ready-time and idle measurements. */
function smallConfig(ctx: BenchContext): string {
  return writeConfig(ctx, "small", {
    budget: "10s",
    events: ["shutdown", "ctrl-c"],
    steps: [
      { name: "deregister", shell: "sh", run: "true", timeout: "2s" },
      { parallel: [{ name: "flush", shell: "sh", run: "true" }, { name: "save", run: "true" }] },
    ],
  });
}

/** A config with no steps (the agent only supervises the app). */
function noStepsConfig(ctx: BenchContext): string {
  return writeConfig(ctx, "no-steps", { budget: "10s", events: ["shutdown"], steps: [] });
}

/** `argv` plus `agent run -c CONFIG --log-format json [-- COMMAND...]`. */
function agentRun(flavour: AgentFlavour, config: string, command: string[] = []): string[] {
  const tail = command.length > 0 ? ["--", ...command] : [];
  return [...flavour.argv, "run", "-c", config, "--log-format", "json", ...tail];
}

/** The bare Deno program: prints `ready` and waits. */
function bareDeno(ctx: BenchContext): string[] {
  return [Deno.execPath(), "run", "-A", join(ctx.root, "scripts/bench/fixtures/idle.ts")];
}

/**
 * Starts `argv`, runs `body` with it, and makes sure nothing it started
 * survives: whatever is still running afterwards is killed with its group.
 */
async function withProcess<T>(
  ctx: BenchContext,
  argv: string[],
  body: (process: RunningProcess) => Promise<T>,
): Promise<T> {
  const process = new RunningProcess(argv, { cwd: ctx.root });
  try {
    return await body(process);
  } finally {
    if (process.exitedAt === undefined) {
      process.killGroup();
      await process.status;
    }
  }
}

/** Waits for an agent's `ready` record; returns its arrival time. */
async function agentReady(process: RunningProcess): Promise<number> {
  return (await process.waitForRecord("ready", READY_TIMEOUT_MS)).at;
}

/** Sends SIGTERM after a settle pause; returns the wall-clock time it was sent (epoch ms). */
async function terminateAfterSettle(process: RunningProcess): Promise<number> {
  await delay(SETTLE_MS);
  const offset = wallClockOffset();
  const sentAt = performance.now();
  process.signal("SIGTERM");
  return offset + sentAt;
}

/** Reads a `date +%s%N` marker file written by a step or the app. */
function readMark(path: string): number {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    throw new Error(`the marker ${path} was not written`);
  }
  return nanosToEpochMs(text);
}

/** Deletes `path` if it exists. */
function removeFile(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Rotates `items` by `by` places, so that no subject always runs first. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % Math.max(1, items.length);
  return [...items.slice(k), ...items.slice(0, k)];
}

/** A subject of the idle measurement. */
interface IdleSubject {
  cpu: Series;
  rss: Series;
  argv: string[];
  /** Resolves when it is waiting (ready line), given the running process. */
  ready: (process: RunningProcess) => Promise<unknown>;
}

/**
 * 1 and 2: CPU time (whole process tree) and RSS while waiting for an event.
 * All subjects wait side by side in each window.
 */
export async function measureIdle(ctx: BenchContext): Promise<Series[]> {
  const cpuItem = `1. Idle CPU (${ctx.idleSeconds} s waiting)`;
  const rssItem = "2. Idle memory (RSS)";
  const small = smallConfig(ctx);
  const noSteps = noStepsConfig(ctx);
  const plain = () => delay(300);
  const subjects: IdleSubject[] = [];
  const add = (
    subject: string,
    argv: string[],
    ready: IdleSubject["ready"],
    options: { agent?: boolean; unavailable?: string } = {},
  ) => {
    const cpu = new Series(cpuItem, subject, "cpu-ms", {
      agent: options.agent,
      compareWith: options.agent ? ["tini", "busy loop (seed)"] : undefined,
    });
    const rss = new Series(rssItem, subject, "MiB", {
      agent: options.agent,
      compareWith: options.agent ? ["bare Deno", "tini"] : undefined,
    });
    if (options.unavailable) {
      cpu.markUnavailable(options.unavailable);
      rss.markUnavailable(options.unavailable);
    }
    subjects.push({ cpu, rss, argv, ready });
  };
  for (const flavour of ctx.agents) {
    add(`${flavour.label}`, agentRun(flavour, small), agentReady, { agent: true });
    add(
      `${flavour.label}, supervising sleep`,
      agentRun(flavour, noSteps, ["sleep", "1000"]),
      agentReady,
      {
        agent: true,
      },
    );
  }
  add("tini", ["tini", "-s", "--", "sleep", "1000"], plain, { unavailable: ctx.missing.tini });
  add("dumb-init", ["dumb-init", "sleep", "1000"], plain, {
    unavailable: ctx.missing["dumb-init"],
  });
  add("busy loop (seed)", ["sh", "-c", BUSY_LOOP], plain);
  add("bare Deno", bareDeno(ctx), (p) => p.waitForLine((t) => t === "ready", READY_TIMEOUT_MS));

  for (let window = 0; window < ctx.idleRuns; window++) {
    ctx.log(`  idle window ${window + 1}/${ctx.idleRuns} (${ctx.idleSeconds} s)`);
    await idleWindow(ctx, subjects.filter((s) => s.cpu.unavailable === undefined));
  }
  return [...subjects.map((s) => s.cpu), ...subjects.map((s) => s.rss)];
}

/** One idle window: start every subject, wait until all are ready, measure, stop them. */
async function idleWindow(ctx: BenchContext, subjects: IdleSubject[]): Promise<void> {
  const started: { subject: IdleSubject; process: RunningProcess; ok: Promise<boolean> }[] = [];
  try {
    for (const subject of subjects) {
      let process: RunningProcess;
      try {
        process = new RunningProcess(subject.argv, { cwd: ctx.root });
      } catch (error) {
        await subject.cpu.measure(() => Promise.reject(error));
        await subject.rss.measure(() => Promise.reject(error));
        continue;
      }
      const ok = Promise.all([subject.ready(process), delay(300)]).then(
        () => true,
        async (error) => {
          await subject.cpu.measure(() => Promise.reject(error));
          await subject.rss.measure(() => Promise.reject(error));
          return false;
        },
      );
      started.push({ subject, process, ok });
    }
    const ready = [];
    for (const entry of started) if (await entry.ok) ready.push(entry);
    await delay(500);
    const before = ready.map((entry) => cpuSnapshot(entry.process.pid));
    await delay(ctx.idleSeconds * 1000);
    for (const [i, { subject, process }] of ready.entries()) {
      await subject.cpu.measure(() => {
        if (process.exitedAt !== undefined) throw new Error(`${process.describe()} exited early`);
        return Promise.resolve(cpuDeltaMs(before[i], cpuSnapshot(process.pid)));
      });
      await subject.rss.measure(() => Promise.resolve(rssMiB(process.pid)));
    }
    for (const { process } of started) {
      if (process.exitedAt === undefined) process.signal("SIGTERM");
    }
    await Promise.all(started.map(({ process }) => process.waitForExit(10_000).catch(() => {})));
  } finally {
    for (const { process } of started) if (process.exitedAt === undefined) process.killGroup();
  }
}

/** 3: from exec to the `ready` record, next to bare Deno and the reference tools. */
export async function measureReady(ctx: BenchContext): Promise<Series[]> {
  const item = "3. Ready time (exec to first line)";
  const small = smallConfig(ctx);
  const echoReady = ["sh", "-c", "echo ready; exec sleep 1000"];
  const subjects: { series: Series; argv: string[]; match: (text: string) => boolean }[] = [];
  const isReadyRecord = (text: string) => text.includes('"msg":"ready"');
  const isReadyLine = (text: string) => text === "ready";
  for (const flavour of ctx.agents) {
    subjects.push({
      series: new Series(item, `${flavour.label} run (small config)`, "ms", {
        agent: true,
        compareWith: ["bare Deno", "tini"],
      }),
      argv: agentRun(flavour, small),
      match: isReadyRecord,
    });
  }
  subjects.push({
    series: new Series(item, "bare Deno", "ms"),
    argv: bareDeno(ctx),
    match: isReadyLine,
  });
  subjects.push({
    series: new Series(item, "tini", "ms", { note: "tini -- sh -c 'echo ready'" })
      .markUnavailableIf(ctx.missing.tini),
    argv: ["tini", "-s", "--", ...echoReady],
    match: isReadyLine,
  });
  subjects.push({
    series: new Series(item, "dumb-init", "ms", { note: "dumb-init sh -c 'echo ready'" })
      .markUnavailableIf(ctx.missing["dumb-init"]),
    argv: ["dumb-init", ...echoReady],
    match: isReadyLine,
  });

  for (let run = 0; run < ctx.runs; run++) {
    for (const { series, argv, match } of rotate(subjects, run)) {
      await series.measure(() =>
        withProcess(ctx, argv, async (process) => {
          const line = await process.waitForLine(match, READY_TIMEOUT_MS);
          process.signal("SIGTERM");
          await process.waitForExit(10_000);
          return line.at - process.spawnedAt;
        })
      );
    }
  }
  return subjects.map((s) => s.series);
}

/** 4: from SIGTERM to the first step's process running, for `shell: sh` and `shell: dax`. */
export async function measureFirstStep(ctx: BenchContext): Promise<Series[]> {
  const item = "4. Event to first step";
  const subjects: { series: Series; flavour: AgentFlavour; config: string; mark: string }[] = [];
  for (const flavour of ctx.agents) {
    for (const shell of ["sh", "dax"]) {
      const mark = join(ctx.tmp, `first-step-${flavour.label}-${shell}.mark`);
      const config = writeConfig(ctx, `first-step-${flavour.label}-${shell}`, {
        budget: "10s",
        events: ["shutdown"],
        steps: [{ name: "mark", shell, run: `date +%s%N > ${mark}` }],
      });
      const series = new Series(item, `${flavour.label}, ${shell} step`, "ms", {
        agent: true,
        compareWith: shell === "dax" ? [`${flavour.label}, sh step`] : undefined,
      });
      subjects.push({ series, flavour, config, mark });
    }
  }
  for (let run = 0; run < ctx.runs; run++) {
    for (const { series, flavour, config, mark } of rotate(subjects, run)) {
      await series.measure(() =>
        withProcess(ctx, agentRun(flavour, config), async (process) => {
          removeFile(mark);
          await agentReady(process);
          const sentAt = await terminateAfterSettle(process);
          await process.waitForExit(15_000);
          return readMark(mark) - sentAt;
        })
      );
    }
  }
  return subjects.map((s) => s.series);
}

/** 5: from SIGTERM to the supervisor until the app's TERM handler runs. */
export async function measureStopForwarding(ctx: BenchContext): Promise<Series[]> {
  const item = "5. Stop forwarding (SIGTERM to app handler)";
  const noSteps = noStepsConfig(ctx);
  const mark = join(ctx.tmp, "app.mark");
  const app = ["sh", "-c", APP, "app", mark];
  const subjects: { series: Series; argv: string[]; agent: boolean }[] = [];
  for (const flavour of ctx.agents) {
    subjects.push({
      series: new Series(item, `${flavour.label} run -- app`, "ms", {
        agent: true,
        compareWith: ["tini", "dumb-init", "app alone"],
      }),
      argv: agentRun(flavour, noSteps, app),
      agent: true,
    });
  }
  subjects.push({
    series: new Series(item, "tini", "ms").markUnavailableIf(ctx.missing.tini),
    argv: ["tini", "-s", "--", ...app],
    agent: false,
  });
  subjects.push({
    series: new Series(item, "dumb-init", "ms").markUnavailableIf(ctx.missing["dumb-init"]),
    argv: ["dumb-init", ...app],
    agent: false,
  });
  subjects.push({
    series: new Series(item, "app alone", "ms", { note: "SIGTERM sent to the app itself" }),
    argv: app,
    agent: false,
  });
  for (let run = 0; run < ctx.runs; run++) {
    for (const { series, argv, agent } of rotate(subjects, run)) {
      await series.measure(() =>
        withProcess(ctx, argv, async (process) => {
          removeFile(mark);
          await process.waitForLine((text) => text === "app-up", READY_TIMEOUT_MS);
          if (agent) await agentReady(process);
          const sentAt = await terminateAfterSettle(process);
          await process.waitForExit(15_000);
          return readMark(mark) - sentAt;
        })
      );
    }
  }
  return subjects.map((s) => s.series);
}

/** 6: 20 parallel `sleep 1` steps; wall time from SIGTERM to the `done` record. */
export async function measureParallel(ctx: BenchContext): Promise<Series[]> {
  const item = "6. 20 parallel 1 s steps (event to done)";
  const subjects: { series: Series; argv: string[] }[] = [];
  for (const flavour of ctx.agents) {
    for (const shell of ["sh", "dax"]) {
      const steps = Array.from({ length: 20 }, (_, i) => ({
        name: `sleep-${i + 1}`,
        shell,
        run: "sleep 1",
      }));
      const config = writeConfig(ctx, `parallel-${flavour.label}-${shell}`, {
        budget: "30s",
        events: ["shutdown"],
        steps: [{ parallel: steps }],
      });
      subjects.push({
        series: new Series(item, `${flavour.label}, ${shell} steps`, "ms", {
          agent: true,
          note: "ideal: 1000 ms",
        }),
        argv: agentRun(flavour, config),
      });
    }
  }
  for (let run = 0; run < ctx.runs; run++) {
    for (const { series, argv } of rotate(subjects, run)) {
      await series.measure(() =>
        withProcess(ctx, argv, async (process) => {
          await agentReady(process);
          await delay(SETTLE_MS);
          const sentAt = performance.now();
          process.signal("SIGTERM");
          const done = await process.waitForRecord("done", 30_000);
          if (done.record.outcome !== "ok") {
            throw new Error(`the sequence ended with outcome ${done.record.outcome}`);
          }
          await process.waitForExit(10_000);
          return done.at - sentAt;
        })
      );
    }
  }
  return subjects.map((s) => s.series);
}

/** 7: budget 2 s with hung steps; how long after the budget the agent exits. */
export async function measureDeadline(ctx: BenchContext): Promise<Series[]> {
  const item = "7. Deadline overshoot (budget 2 s, hung steps)";
  const budgetMs = 2000;
  const subjects: { series: Series; argv: string[] }[] = [];
  for (const flavour of ctx.agents) {
    const config = writeConfig(ctx, `deadline-${flavour.label}`, {
      budget: "2s",
      events: ["shutdown"],
      steps: [
        {
          parallel: [
            { name: "hung-sh", shell: "sh", run: "sleep 60" },
            { name: "hung-dax", run: "sleep 60" },
          ],
        },
        { name: "after", shell: "sh", run: "true" },
      ],
    });
    subjects.push({
      series: new Series(item, flavour.label, "ms", {
        agent: true,
        note: "exit - SIGTERM - 2000 ms; sh and dax `sleep 60` in parallel",
      }),
      argv: agentRun(flavour, config),
    });
  }
  for (let run = 0; run < ctx.runs; run++) {
    for (const { series, argv } of subjects) {
      await series.measure(() =>
        withProcess(ctx, argv, async (process) => {
          await agentReady(process);
          await delay(SETTLE_MS);
          const sentAt = performance.now();
          process.signal("SIGTERM");
          await process.waitForExit(15_000);
          return process.exitedAt! - sentAt - budgetMs;
        })
      );
    }
  }
  return subjects.map((s) => s.series);
}

/** The longest the Wine item may take. */
const WINE_TIME_LIMIT_MS = 5 * 60_000;

/**
 * 8: under the Wine lane, from `agent trigger --event shutdown PID` to the
 * first step's process running, for `shell: cmd` and `shell: dax`. The step
 * creates a file; its modification time (kernel wall clock, a few ms coarse)
 * is compared with the moment the trigger's `Delivered` line arrived.
 */
export async function measureWine(ctx: BenchContext, runs: number): Promise<Series[]> {
  const item = "8. Wine: CTRL_SHUTDOWN to first step";
  const wineDeno = join(ctx.root, "scripts/wine_deno.sh");
  const base = ["cmd", "dax"].map((shell) =>
    new Series(item, `agent under Wine, ${shell} step`, "ms", {
      agent: true,
      compareWith: shell === "dax" ? ["agent under Wine, cmd step"] : undefined,
      note: "from the trigger's `Delivered` line to the step's file (mtime)",
    })
  );
  let envOk = false;
  try {
    envOk = Deno.statSync(join(ctx.root, ".wine-lane/env.sh")).isFile;
  } catch {
    // No lane.
  }
  if (!envOk) {
    for (const series of base) {
      series.markUnavailable(".wine-lane/env.sh is missing (run scripts/setup_wine.sh)");
    }
    return base;
  }
  const flavour: AgentFlavour = { label: "wine", argv: [wineDeno, "run", "-A", "main.ts"] };
  const windowsPath = (path: string) => `Z:${path.replaceAll("/", "\\")}`;
  const subjects = base.map((series, i) => {
    const shell = i === 0 ? "cmd" : "dax";
    const mark = join(ctx.tmp, `wine-${shell}.mark`);
    const run = shell === "cmd"
      ? `type nul > ${windowsPath(mark)}`
      : `echo x > ${windowsPath(mark).replaceAll("\\", "/")}`;
    const config = writeConfig(ctx, `wine-${shell}`, {
      budget: "20s",
      events: ["shutdown"],
      steps: [{ name: "mark", shell, run }],
    });
    return { series, mark, argv: agentRun(flavour, config) };
  });
  const startedAt = performance.now();
  for (let run = 0; run < runs; run++) {
    for (const { series, mark, argv } of subjects) {
      if (performance.now() - startedAt > WINE_TIME_LIMIT_MS) {
        series.errors.push("skipped: the Wine item's time limit was reached");
        continue;
      }
      await series.measure(() =>
        withProcess(ctx, argv, async (process) => {
          removeFile(mark);
          const ready = await process.waitForRecord("ready", 120_000);
          const pid = String(ready.record.pid);
          await delay(SETTLE_MS);
          const trigger = [wineDeno, "run", "-A", "main.ts", "trigger", "--event", "shutdown", pid];
          const offset = wallClockOffset();
          const delivered = await withProcess(ctx, trigger, async (triggerProcess) => {
            const line = await triggerProcess.waitForLine((t) => t.startsWith("Delivered"), 60_000);
            await triggerProcess.waitForExit(30_000);
            return line.at;
          });
          await process.waitForExit(30_000);
          let mtime: Date | null;
          try {
            mtime = Deno.statSync(mark).mtime;
          } catch {
            throw new Error(
              `the step did not run (no ${mark}); agent stderr: ${process.stderrTail()}`,
            );
          }
          return mtime!.getTime() - (offset + delivered);
        })
      );
    }
  }
  return base;
}
