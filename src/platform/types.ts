/**
 * The one interface both operating systems implement. Everything above this
 * layer (the sequence, the supervisor, the CLI) is the same on every OS.
 *
 * @module
 */

import type { EventName } from "../config/types.ts";

/** How an event reached the agent. */
export type EventSourceKind =
  /** A POSIX signal. */
  | "signal"
  /** The kernel32 console control handler. */
  | "console"
  /** WM_QUERYENDSESSION / WM_ENDSESSION in the hidden window. */
  | "window"
  /** `agent stop` over the control channel. */
  | "control"
  /** `agent simulate`, or the main app exiting on its own. */
  | "internal";

/** An event that asks the agent to shut down. */
export interface AgentEvent {
  /** Which event. */
  name: EventName;
  /** How it arrived. */
  source: EventSourceKind;
  /** Platform detail, for example the signal name. */
  detail?: string;
}

/**
 * Called for each event. A platform whose OS ends the process when its handler
 * returns (Windows) holds its handler until the returned promise settles, or
 * until its hold limit. The agent exits while still holding.
 */
export type EventHandler = (event: AgentEvent) => Promise<void>;

/** A registration that can be removed. */
export interface Subscription {
  /** Resolves once events are caught (Windows: the console handler is registered). */
  readonly ready: Promise<void>;
  /**
   * From now on catches only `events` (the others go to the OS default) and
   * applies `options`. The agent listens for every event from its first
   * moment, and narrows once its configuration is loaded.
   */
  narrow(events: readonly EventName[], options?: ListenOptions): void;
  /** Stops listening. Safe to call more than once. */
  close(): void;
}

/** Options of {@link Platform.listen}. */
export interface ListenOptions {
  /**
   * Windows: the longest a console handler is held when the shutdown does not
   * end sooner (the budget plus a margin). POSIX signals are not held.
   */
  holdLimitMs?: number;
  /** Called for an event that is not listened for, where the OS lets the agent see it. */
  onPassed?: (event: AgentEvent) => void;
}

/** How a process ended. */
export interface ExitStatus {
  /** Exit code; 128+N when the process died from signal N. */
  code: number;
  /** The signal that ended it, when one did. */
  signal?: string;
}

/** Options of {@link Platform.spawn}. */
export interface SpawnOptions {
  /** Working directory. */
  cwd?: string;
  /** Environment variables added to the agent's own. */
  env?: Record<string, string>;
  /** `inherit`: the child shares the agent's stdio; `piped`: stdout/stderr are captured, stdin is null. */
  stdio: "inherit" | "piped";
}

/**
 * A child process started in a boundary of its own (POSIX: a new session and
 * process group; Windows: a Job Object), so its whole tree can be ended.
 */
export interface ManagedProcess {
  /** Process id. */
  readonly pid: number;
  /** Settles when the process itself exits. */
  readonly status: Promise<ExitStatus>;
  /** Captured stdout, with `stdio: "piped"`. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** Captured stderr, with `stdio: "piped"`. */
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** Delivers an event to the process itself (POSIX: the mapped signal). */
  deliver(event: EventName): void;
  /**
   * Ends the process and every descendant: a polite request first, then, after
   * `graceMs`, a kill that cannot be refused. Resolves when the tree is gone.
   */
  killTree(options: { graceMs: number }): Promise<void>;
  /** Kills whatever is left of the tree at once, without waiting (after the process exited). */
  reap(): void;
}

/** Why {@link Platform.deliver} failed. */
export type DeliveryFailure = "not-found" | "denied" | "unsupported";

/** Thrown by {@link Platform.deliver}. */
export class DeliveryError extends Error {
  /** The kind of failure. */
  readonly kind: DeliveryFailure;
  /** Creates the error. */
  constructor(kind: DeliveryFailure, message: string) {
    super(message);
    this.name = "DeliveryError";
    this.kind = kind;
  }
}

/** How long the platform lets a process run once it has told it to stop. */
export interface ShutdownLimit {
  /** Milliseconds from the stop event until the platform kills the process. */
  ms: number;
  /** Where the number comes from, in words (for records and `agent doctor`). */
  source: string;
}

/** What the agent needs from the operating system. */
export interface Platform {
  /** `posix` or `windows`. */
  readonly name: "posix" | "windows";
  /** How an event is called on this OS (`SIGTERM`, `CTRL_SHUTDOWN_EVENT`); undefined when it has none. */
  nativeName(event: EventName): string | undefined;
  /**
   * Starts listening for `events`. Events not in the list are left to the OS
   * default. `onEvent` is called for every event, including repeats.
   */
  listen(
    events: readonly EventName[],
    onEvent: EventHandler,
    options?: ListenOptions,
  ): Subscription;
  /**
   * Gives an event the agent caught before it knew it does not want it to the
   * OS default (POSIX: raise the signal again; Windows: end the process, as the
   * default console handler would). Call after {@link Subscription.narrow}.
   */
  passOn(event: AgentEvent): void;
  /** Delivers an event to another process. Throws {@link DeliveryError}. */
  deliver(pid: number, event: EventName): void;
  /** Starts a child process in a boundary of its own. Throws `Deno.errors.NotFound` etc. */
  spawn(argv: readonly string[], options: SpawnOptions): ManagedProcess;
  /**
   * How long the platform lets this process run after the stop event, when the
   * agent can know it (Windows container: `ProcessShutdownTimeoutSeconds`);
   * undefined when it cannot (POSIX: `docker stop -t` and
   * `terminationGracePeriodSeconds` are not visible from inside).
   */
  shutdownLimit(): ShutdownLimit | undefined;
}
