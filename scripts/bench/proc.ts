/**
 * Process plumbing for the benchmark: children whose output lines are
 * timestamped as they arrive, `/proc` readers for CPU time and memory, and a
 * clock that relates `performance.now()` to the wall clock that `date +%s%N`
 * and file modification times use.
 *
 * @module
 */

/** A line a child wrote, with the moment (`performance.now()`, ms) it arrived. */
export interface TimedLine {
  /** The line, without its newline. */
  text: string;
  /** When it was read. */
  at: number;
}

/** Options of {@link RunningProcess}. */
export interface StartOptions {
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** Every process the benchmark started that has not exited yet. */
const live = new Set<RunningProcess>();

/**
 * A child started in a session of its own (so that it and whatever it starts
 * can be killed as a group), with stdout read line by line and stderr kept.
 */
export class RunningProcess {
  /** The command line. */
  readonly argv: readonly string[];
  /** Its process id. */
  readonly pid: number;
  /** `performance.now()` right before the process was started. */
  readonly spawnedAt: number;
  /** `performance.now()` when its exit was seen; undefined while it runs. */
  exitedAt: number | undefined;
  /** Settles when it exits. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Every stdout line so far. */
  readonly lines: TimedLine[] = [];
  #stderr = "";
  #waiters = new Set<() => void>();

  /** Starts `argv`. Throws what `Deno.Command#spawn` throws (NotFound...). */
  constructor(argv: readonly string[], options: StartOptions = {}) {
    this.argv = argv;
    const command = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: options.cwd,
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    });
    this.spawnedAt = performance.now();
    const child = command.spawn();
    this.pid = child.pid;
    live.add(this);
    this.status = child.status.then((status) => {
      this.exitedAt = performance.now();
      live.delete(this);
      this.#notify();
      return status;
    });
    this.#pumpLines(child.stdout);
    this.#pumpStderr(child.stderr);
  }

  /** What the process wrote to stderr so far (the last 2000 characters). */
  stderrTail(): string {
    return this.#stderr.slice(-2000).trim();
  }

  /**
   * Resolves with the first stdout line (past or future) that `match` accepts.
   * Rejects when the process exits without writing one, or after `timeoutMs`.
   */
  async waitForLine(match: (text: string) => boolean, timeoutMs: number): Promise<TimedLine> {
    const deadline = performance.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.lines.length; seen++) {
        if (match(this.lines[seen].text)) return this.lines[seen];
      }
      if (this.exitedAt !== undefined) {
        // Output may still be in flight after the exit: give the pump a moment.
        await delay(50);
        const late = this.lines.slice(seen).find((line) => match(line.text));
        if (late) return late;
        throw new Error(`${this.describe()} exited without the expected line${this.#stderrNote()}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(`${this.describe()}: no expected line within ${timeoutMs} ms`);
      }
      await this.#changed(left);
    }
  }

  /** Resolves with the JSON record named `msg` (the agent's `--log-format json`). */
  async waitForRecord(
    msg: string,
    timeoutMs: number,
  ): Promise<TimedLine & { record: Record<string, unknown> }> {
    const line = await this.waitForLine((text) => parseRecord(text)?.msg === msg, timeoutMs);
    return { ...line, record: parseRecord(line.text)! };
  }

  /** Resolves with the exit status, or kills the group and rejects after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Deno.CommandStatus> {
    const timer = delay(timeoutMs).then(() => undefined);
    const status = await Promise.race([this.status, timer]);
    if (status === undefined) {
      this.killGroup();
      await this.status;
      throw new Error(`${this.describe()} did not exit within ${timeoutMs} ms`);
    }
    return status;
  }

  /** Sends `signal` to the process itself (not its group), as `docker stop` does. */
  signal(signal: Deno.Signal): void {
    Deno.kill(this.pid, signal);
  }

  /** SIGKILLs the process's descendants and its process group. Never throws. */
  killGroup(): void {
    for (const pid of descendants(this.pid)) tryKill(pid);
    tryKill(-this.pid);
    tryKill(this.pid);
  }

  /** A short name for messages. */
  describe(): string {
    const shown = this.argv.map((arg) => arg.length > 40 ? `${arg.slice(0, 37)}...` : arg);
    return `\`${shown.join(" ")}\``;
  }

  #stderrNote(): string {
    const tail = this.stderrTail();
    return tail ? `; stderr: ${tail.split("\n").slice(-3).join(" | ")}` : "";
  }

  #notify(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  #changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.#waiters;
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  async #pumpLines(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const at = performance.now();
        pending += chunk;
        const parts = pending.split("\n");
        pending = parts.pop()!;
        for (const text of parts) this.lines.push({ text, at });
        if (parts.length > 0) this.#notify();
      }
    } catch {
      // The pipe broke: keep what was read.
    }
    if (pending) this.lines.push({ text: pending, at: performance.now() });
    this.#notify();
  }

  async #pumpStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        this.#stderr = (this.#stderr + chunk).slice(-8000);
      }
    } catch {
      // Ignored: stderr is only kept for error messages.
    }
  }
}

/** Kills every process the benchmark started that is still running (Ctrl-C, errors). */
export function killAll(): void {
  for (const process of live) process.killGroup();
}

/** Parses one line of the agent's JSON log; undefined when it is not one. */
export function parseRecord(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tryKill(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** One process's line of `/proc/PID/stat`, the fields the benchmark uses. */
interface ProcStat {
  ppid: number;
  /** cutime + cstime (children it has reaped), in clock ticks. */
  childTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); ppid is field 4, utime..cstime are fields 14..17.
  const number = (field: number) => Number(fields[field - 3]);
  return {
    ppid: number(4),
    childTicks: number(16) + number(17),
  };
}

/** Every process id in /proc with its parent. */
function processTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = readStat(Number(entry.name));
    if (stat) table.set(Number(entry.name), stat);
  }
  return table;
}

/** The process ids of `pid`'s descendants (children, grandchildren...). */
export function descendants(pid: number): number[] {
  return descendantsIn(processTable(), pid);
}

function descendantsIn(table: Map<number, ProcStat>, pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, stat] of table) {
      if (stat.ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS = 100;

/** A moment's CPU counters of a process tree; see {@link cpuSnapshot}. */
export interface CpuSnapshot {
  /** CPU nanoseconds of every live thread, by "pid/tid" (schedstat). */
  threads: Map<string, number>;
  /** Clock ticks of children the tree's processes have reaped (cutime + cstime). */
  reapedTicks: number;
}

/** Adds the CPU nanoseconds of every live thread of `pid` to `threads`. */
function readThreads(pid: number, threads: Map<string, number>): void {
  let tasks: Deno.DirEntry[];
  try {
    tasks = [...Deno.readDirSync(`/proc/${pid}/task`)];
  } catch {
    return; // the process is gone
  }
  for (const task of tasks) {
    try {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`);
      threads.set(`${pid}/${task.name}`, Number(text.split(" ")[0]));
    } catch {
      // The thread ended meanwhile.
    }
  }
}

/** The CPU counters of `pid` and all its descendants, now. */
export function cpuSnapshot(pid: number): CpuSnapshot {
  const table = processTable();
  const threads = new Map<string, number>();
  let reapedTicks = 0;
  for (const member of [pid, ...descendantsIn(table, pid)]) {
    readThreads(member, threads);
    reapedTicks += table.get(member)?.childTicks ?? 0;
  }
  return { threads, reapedTicks };
}

/**
 * CPU milliseconds a process tree used between two snapshots. Threads are
 * counted in nanoseconds (schedstat); a thread that ended in between counts
 * nothing past the first snapshot (Deno's idle pool threads end after 10 s
 * without work, having done nothing); children reaped in between count in
 * clock ticks (10 ms).
 */
export function cpuDeltaMs(before: CpuSnapshot, after: CpuSnapshot): number {
  let nanos = 0;
  for (const [key, value] of after.threads) {
    nanos += Math.max(0, value - (before.threads.get(key) ?? 0));
  }
  return nanos / 1e6 + ((after.reapedTicks - before.reapedTicks) * 1000) / CLOCK_TICKS;
}

/** Resident memory of one process in MiB (VmRSS from /proc/PID/status). */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

/**
 * The offset that turns `performance.now()` into epoch milliseconds, measured
 * now: waits for `Date.now()` to tick, so the offset is exact to a few
 * microseconds (a fixed `performance.timeOrigin` would drift with the wall clock).
 */
export function wallClockOffset(): number {
  const start = Date.now();
  for (;;) {
    const now = Date.now();
    const perf = performance.now();
    if (now !== start) return now - perf;
  }
}

/** Converts `date +%s%N` output (epoch nanoseconds) to epoch milliseconds. */
export function nanosToEpochMs(text: string): number {
  const nanos = BigInt(text.trim());
  return Number(nanos / 1000n) / 1000;
}
