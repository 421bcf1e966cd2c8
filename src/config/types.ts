/**
 * The validated configuration the rest of the agent works with. Durations are
 * milliseconds, `${VAR}` references are already expanded, and every default is
 * filled in: nothing downstream looks at the YAML again.
 *
 * @module
 */

/** The five console control events, named as in `agent.yaml`. */
export const EVENT_NAMES = ["shutdown", "close", "logoff", "ctrl-c", "ctrl-break"] as const;

/** A console control event, named as in `agent.yaml`. */
export type EventName = typeof EVENT_NAMES[number];

/** Shells a step can run under. `dax` is cross-platform and the default. */
export const SHELLS = ["dax", "cmd", "powershell", "pwsh", "sh", "bash"] as const;

/** A shell a step can run under. */
export type Shell = typeof SHELLS[number];

/** Whether a step runs before or after the main app is stopped. */
export type When = "before" | "after";

/** One cleanup command. */
export interface StepConfig {
  /** Unique name; prefixes the step's output lines and names it in records. */
  name: string;
  /** The command line, run by `shell`. */
  run: string;
  /** Per-step limit; `undefined` means "what is left of the budget". */
  timeoutMs?: number;
  /** Run before or after the main app is stopped. */
  when: When;
  /** When false, a failure skips every later step. */
  continueOnError: boolean;
  /** The shell that runs `run`. */
  shell: Shell;
  /** Extra environment variables, added to the agent's own. */
  env: Record<string, string>;
  /** Working directory; `undefined` means the agent's own. */
  cwd?: string;
}

/** An entry of `steps`: one step, or a group whose members run concurrently. */
export type StepEntry =
  | { kind: "step"; step: StepConfig }
  | { kind: "parallel"; when: When; steps: StepConfig[] };

/** Where and how records are written. */
export interface LogConfig {
  /** `text` (default) or `json` (one object per line). */
  format: "text" | "json";
  /** Optional file that receives every record too. */
  file?: string;
  /** Extra environment variable names whose values are never logged. */
  redact: string[];
}

/** The app the agent supervises, when it is the container's ENTRYPOINT. */
export interface MainConfig {
  /** argv of the app; `agent run -- CMD ARGS` overrides it. */
  command?: string[];
  /** What the app is sent on shutdown; `undefined` means the event the agent got. */
  stopEvent?: EventName;
  /** Time the app gets after its stop event before its process tree is killed. */
  graceMs: number;
}

/** A complete, validated configuration. */
export interface Config {
  /** Absolute path of the file it came from; `undefined` for the built-in default. */
  source?: string;
  /** The whole cleanup must end within this, counted from the first event. */
  budgetMs: number;
  /** Which events start the shutdown; others are passed on. */
  events: EventName[];
  /** Logging. */
  log: LogConfig;
  /** Supervisor mode, when present. */
  main?: MainConfig;
  /** Cleanup steps, in order. */
  steps: StepEntry[];
}
