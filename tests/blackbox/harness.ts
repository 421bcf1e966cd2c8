/**
 * The black-box harness: starts the agent the way a user does, as a real
 * process, and reads its records. Everything about *which* agent runs comes
 * from the environment, so the same suite runs in every lane:
 *
 * - `AGENT_CMD`: the command that starts the agent, split on spaces
 *   (default: `deno run -A main.ts` with the running Deno). Examples:
 *   `AGENT_CMD="dist/agent"`, `AGENT_CMD="scripts/wine_deno.sh run -A main.ts"`.
 * - `AGENT_LANE`: `posix` (default) or `windows`. In the Windows lane events
 *   are delivered with `agent trigger` (CtrlRoutine) instead of signals.
 * - `AGENT_LOG_FORMAT`: `text` (default) or `json`; the suite reads both.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The command that starts the agent. Relative paths in it that exist in the
 * repository (`dist/agent`, `main.ts`) are made absolute, as tests run in
 * temp folders.
 */
export const AGENT_CMD: readonly string[] = Deno.env.get("AGENT_CMD")?.trim().split(/\s+/)
  .map(absoluteInRepo) ?? [Deno.execPath(), "run", "-A", "--quiet", `${ROOT}main.ts`];

function absoluteInRepo(token: string): string {
  if (token.startsWith("-") || token.startsWith("/")) return token;
  try {
    Deno.statSync(`${ROOT}${token}`);
    return `${ROOT}${token}`;
  } catch {
    return token;
  }
}

/** The lane the suite runs in. */
export const LANE: "posix" | "windows" = Deno.env.get("AGENT_LANE") === "windows"
  ? "windows"
  : "posix";

/** The log format the agent is asked for. */
export const LOG_FORMAT: "text" | "json" = Deno.env.get("AGENT_LOG_FORMAT") === "json"
  ? "json"
  : "text";

/** True on the POSIX lane; for cases that need POSIX tools (sh, signals). */
export const POSIX = LANE === "posix";

/** Which signal stands for each event on POSIX. */
const SIGNAL_OF: Record<string, Deno.Signal> = {
  "shutdown": "SIGTERM",
  "ctrl-c": "SIGINT",
  "close": "SIGHUP",
  "ctrl-break": "SIGQUIT",
};

/** A record as the suite sees it: every field value as a string (arrays joined by commas). */
export interface SeenRecord {
  level: string;
  msg: string;
  fields: Record<string, string>;
  ts: string;
}

/** Parses one line of agent output into a record, or undefined for other lines. */
export function parseRecord(line: string): SeenRecord | undefined {
  if (line.startsWith("{")) {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line);
    } catch {
      return undefined;
    }
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (k === "ts" || k === "level" || k === "msg") continue;
      fields[k] = Array.isArray(v) ? v.join(",") : String(v);
    }
    return { ts: String(obj.ts), level: String(obj.level), msg: String(obj.msg), fields };
  }
  const head = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (info|warn|error)\s+(\S+)(.*)$/.exec(line);
  if (!head) return undefined;
  const fields: Record<string, string> = {};
  const re = /\s([a-z_]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of head[4].matchAll(re)) {
    fields[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
  }
  return { ts: head[1], level: head[2], msg: head[3], fields };
}

/** A step's output line, in either format. */
export function parseStepOutput(line: string): { step: string; line: string } | undefined {
  const record = parseRecord(line);
  if (record?.msg === "step.output") return { step: record.fields.step, line: record.fields.line };
  const m = /^\[([^\]]+)\] (.*)$/.exec(line);
  return m ? { step: m[1], line: m[2] } : undefined;
}

/** Options of {@link startAgent}. */
export interface StartOptions {
  /** Working directory (default: a fresh temp dir is NOT made; pass one). */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Add `--log-format` (run and simulate only; default true). */
  logFormatFlag?: boolean;
}

/** A running agent under test. */
export class AgentUnderTest {
  /** Every stdout line so far. */
  readonly stdout: string[] = [];
  /** Every stderr line so far. */
  readonly stderr: string[] = [];
  /** Settles with the exit code. */
  readonly exited: Promise<number>;
  readonly #child: Deno.ChildProcess;
  readonly #waiters: (() => void)[] = [];
  #done = false;

  constructor(child: Deno.ChildProcess) {
    this.#child = child;
    const pumps = [
      this.#pump(child.stdout, this.stdout),
      this.#pump(child.stderr, this.stderr),
    ];
    this.exited = Promise.all([child.status, ...pumps]).then(([s]) => {
      this.#done = true;
      this.#wake();
      return s.code;
    });
  }

  /** The OS pid of the process the harness started. */
  get osPid(): number {
    return this.#child.pid;
  }

  /** Every record parsed from stdout so far. */
  records(): SeenRecord[] {
    return this.stdout.map(parseRecord).filter((r): r is SeenRecord => r !== undefined);
  }

  /** Records named `msg`. */
  named(msg: string): SeenRecord[] {
    return this.records().filter((r) => r.msg === msg);
  }

  /** Output lines of one step. */
  output(step: string): string[] {
    return this.stdout.concat(this.stderr).map(parseStepOutput)
      .filter((o) => o?.step === step).map((o) => o!.line);
  }

  /** Waits until a record matching `msg` (and `test`) appears; fails after `timeoutMs`. */
  async waitFor(
    msg: string,
    options: { test?: (r: SeenRecord) => boolean; timeoutMs?: number } = {},
  ): Promise<SeenRecord> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const found = this.named(msg).find((r) => options.test?.(r) ?? true);
      if (found) return found;
      if (this.#done) throw new Error(`Agent exited without "${msg}":\n${this.transcript()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No "${msg}" within the time:\n${this.transcript()}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** Waits for `ready`, returning the agent's own pid (the Windows pid in the Windows lane). */
  async ready(): Promise<number> {
    const record = await this.waitFor("ready");
    return Number(record.fields.pid);
  }

  /** Delivers an event the way the platform would. */
  async send(event: string): Promise<void> {
    if (LANE === "windows") {
      const pid = await this.ready();
      const result = await runAgent(["trigger", "--event", event, String(pid)]);
      if (result.code !== 0) throw new Error(`trigger failed: ${result.stderr}`);
      return;
    }
    Deno.kill(this.#child.pid, SIGNAL_OF[event]);
  }

  /** Sends a POSIX signal to the process the harness started. */
  signal(signal: Deno.Signal): void {
    Deno.kill(this.#child.pid, signal);
  }

  /** Kills the agent process outright (cleanup after a failed test). */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  /** Everything the agent wrote, for failure messages. */
  transcript(): string {
    return [...this.stdout, "--- stderr ---", ...this.stderr].join("\n");
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #pump(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      into.push(...lines.map((l) => l.replace(/\r$/, "")));
      this.#wake();
    }
    if (pending) into.push(pending);
  }
}

/** Inserts `--log-format` after a `run`/`simulate` subcommand. */
function withFormat(args: readonly string[], flag: boolean): string[] {
  if (!flag || (args[0] !== "run" && args[0] !== "simulate")) return [...args];
  return [args[0], "--log-format", LOG_FORMAT, ...args.slice(1)];
}

/** Starts the agent with `args`. */
export function startAgent(args: readonly string[], options: StartOptions = {}): AgentUnderTest {
  const [cmd, ...pre] = AGENT_CMD;
  // Each agent gets a control file of its own: tests run in parallel.
  const control = `${
    options.cwd ?? Deno.env.get("TMPDIR") ?? "/tmp"
  }/control-${crypto.randomUUID()}.json`;
  const child = new Deno.Command(cmd, {
    args: [...pre, ...withFormat(args, options.logFormatFlag ?? true)],
    cwd: options.cwd,
    env: { NO_COLOR: "1", SHUTDOWN_AGENT_CONTROL: control, ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new AgentUnderTest(child);
}

/** Runs the agent to its end; resolves to its exit code and output. */
export async function runAgent(
  args: readonly string[],
  options: StartOptions = {},
): Promise<{ code: number; stdout: string; stderr: string; agent: AgentUnderTest }> {
  const agent = startAgent(args, options);
  const code = await agent.exited;
  return { code, stdout: agent.stdout.join("\n"), stderr: agent.stderr.join("\n"), agent };
}

/** A temp dir with `agent.yaml` holding `yaml`; removed by the returned dispose. */
export async function withConfig(
  yaml: string,
): Promise<{ dir: string; config: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "agent-bb-" });
  const config = `${dir}/agent.yaml`;
  await Deno.writeTextFile(config, yaml);
  return {
    dir,
    config,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A path as the agent reports it, in POSIX form: under Wine the Windows agent
 * sees `/tmp/x` as `Z:\tmp\x`.
 */
export function posixPath(path: string): string {
  const m = /^[A-Za-z]:(\\.*)$/.exec(path);
  return m ? m[1].replaceAll("\\", "/") : path;
}

/** Whether a process with this OS pid is still running (zombies count as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Reads a file, or "" when it does not exist. */
export async function readOr(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

/** Waits until `path` has content (up to `timeoutMs`); the test side may poll. */
export async function waitForFile(path: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readOr(path);
    if (text) return text;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms`);
}
