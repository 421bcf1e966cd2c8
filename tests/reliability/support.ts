/**
 * Shared pieces of the reliability suite: a seeded PRNG, and checks that the
 * agent's own log of a shutdown is complete and on time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AGENT_CMD, LOG_FORMAT, parseRecord, type SeenRecord } from "../blackbox/harness.ts";

/** What {@link assertCompleteLog} reads: an `AgentUnderTest`, or anything that parses records. */
export interface RecordSource {
  /** Every record seen. */
  records(): SeenRecord[];
  /** Everything the agent wrote, for failure messages. */
  transcript(): string;
}

/**
 * The margin the agent documents past its budget (README: "at most 1 second
 * after the budget"), plus slack for a slow shared CI machine (process start,
 * event delivery, the harness reading pipes).
 */
export const EXIT_SLACK_MS = 2_500;

/** The fixed seed; `RELIABILITY_SEED=n` explores others. Printed with every failure. */
export const SEED: number = Number(Deno.env.get("RELIABILITY_SEED") ?? 0x5eed_2026) >>> 0;

/** A small, fast, seedable PRNG (mulberry32). */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Escapes `text` for use in a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** What a stack trace line looks like, in any of the forms V8 and Deno print. */
export const STACK_LINE = /^\s*at\s|\bat .*:\d+:\d+\)?$|file:\/\/\//;

/**
 * Asserts that the agent's records of a finished shutdown are complete: one
 * `event`, one `done` (last), and exactly one `step.start`/`step.end` per step
 * in `steps` (skipped steps have an end but no start).
 */
export function assertCompleteLog(
  agent: RecordSource,
  steps: readonly string[],
  context = "",
): SeenRecord {
  const where = `${context}\n${agent.transcript().slice(-6_000)}`;
  const records = agent.records();
  const done = records.filter((r) => r.msg === "done");
  assert.equal(done.length, 1, `exactly one done record${where}`);
  assert.equal(records.at(-1)?.msg, "done", `done is the last record${where}`);
  for (const step of steps) {
    const ends = records.filter((r) => r.msg === "step.end" && r.fields.step === step);
    assert.equal(ends.length, 1, `one step.end for ${step}${where}`);
    const starts = records.filter((r) => r.msg === "step.start" && r.fields.step === step);
    assert.equal(starts.length, ends[0].fields.outcome === "skipped" ? 0 : 1, `${step}${where}`);
  }
  const ends = records.filter((r) => r.msg === "step.end").map((r) => r.fields.step);
  assert.deepEqual(ends.toSorted(), [...steps].toSorted(), `no other step ended${where}`);
  return done[0];
}

/** Asserts that none of `pids` is running; kills survivors so they never outlive the test. */
export function assertAllGone(pids: readonly number[], alive: (pid: number) => boolean): void {
  const survivors = pids.filter((pid) => pid > 0 && alive(pid));
  for (const pid of survivors) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone meanwhile */ }
  }
  assert.deepEqual(survivors, [], `processes of the tree survived the agent: ${survivors}`);
}

/** Reads the pids the test scripts wrote (one per file, files that do not exist skipped). */
export async function readPids(dir: string, names: readonly string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const name of names) {
    try {
      const text = (await Deno.readTextFile(`${dir}/${name}`)).trim();
      for (const line of text.split("\n")) if (line) pids.push(Number(line));
    } catch { /* not written */ }
  }
  return pids;
}

/**
 * An agent whose output is counted rather than kept: for steps that flood it.
 * Only the agent's own records (and stderr) are kept; step output is counted.
 */
export class LeanAgent implements RecordSource {
  /** The agent's records, in order. */
  readonly kept: SeenRecord[] = [];
  /** Lines of stderr (step stderr included). */
  readonly stderr: string[] = [];
  /** Bytes of stdout that were step output. */
  outputBytes = 0;
  /** Settles with the exit code once the process and its pipes are done. */
  readonly exited: Promise<number>;
  readonly #child: Deno.ChildProcess;

  constructor(args: readonly string[], options: { cwd: string; env?: Record<string, string> }) {
    const [cmd, ...pre] = AGENT_CMD;
    const withFormat = args[0] === "run" || args[0] === "simulate"
      ? [args[0], "--log-format", LOG_FORMAT, ...args.slice(1)]
      : [...args];
    this.#child = new Deno.Command(cmd, {
      args: [...pre, ...withFormat],
      cwd: options.cwd,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.exited = Promise.all([this.#child.status, this.#pumpStdout(), this.#pumpStderr()])
      .then(([status]) => status.code);
  }

  /** The OS pid of the agent. */
  get pid(): number {
    return this.#child.pid;
  }

  records(): SeenRecord[] {
    return this.kept.filter((r) => r.msg !== "step.output");
  }

  transcript(): string {
    return [
      ...this.records().map((r) => `${r.ts} ${r.msg} ${JSON.stringify(r.fields)}`),
      `(${this.outputBytes} bytes of step output)`,
      "--- stderr ---",
      ...this.stderr.slice(0, 50),
    ].join("\n");
  }

  /** Waits for a record named `msg`. */
  async waitFor(msg: string, timeoutMs = 30_000): Promise<SeenRecord> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.kept.find((r) => r.msg === msg);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`No ${msg} within ${timeoutMs} ms:\n${this.transcript()}`);
  }

  /** Sends a signal to the agent. */
  kill(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch { /* already gone */ }
  }

  async #pumpStdout(): Promise<void> {
    let pending = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let start = 0;
      for (let nl = pending.indexOf("\n"); nl !== -1; nl = pending.indexOf("\n", start)) {
        this.#line(pending.slice(start, nl));
        start = nl + 1;
      }
      pending = pending.slice(start);
    }
    if (pending) this.#line(pending);
  }

  #line(line: string): void {
    // Step output is `[name] ...` in text mode and a step.output record in JSON mode.
    if (line.startsWith("[") || line.includes('"msg":"step.output"')) {
      this.outputBytes += line.length + 1;
      return;
    }
    const record = parseRecord(line);
    if (record) this.kept.push(record);
    else this.outputBytes += line.length + 1;
  }

  async #pumpStderr(): Promise<void> {
    let pending = "";
    for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      if (this.stderr.length < 1_000) this.stderr.push(...lines.map((l) => l.slice(0, 500)));
    }
  }
}
