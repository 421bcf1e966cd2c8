/**
 * Windows: events are console control events (SetConsoleCtrlHandler) and the
 * session-end messages of a hidden top-level window; each child runs in a Job
 * Object of its own, so its whole tree can be ended.
 *
 * One concern per module:
 * - kernel32.ts: every FFI declaration, constant and layout;
 * - console_handler.ts (+ console_handler_worker.ts): the held console handler;
 * - window.ts (+ window_worker.ts): the hidden window;
 * - hold.ts, protocol.ts: the hold protocol between the main isolate and the workers;
 * - deliver.ts: delivering an event to another process (CtrlRoutine);
 * - job.ts: child processes in Job Objects;
 * - create_process.ts: CreateProcessW for the main app (own console, suspended until in its job);
 * - registry.ts: the container's shutdown settings (ProcessShutdownTimeoutSeconds).
 *
 * Never call `Deno.addSignalListener` on Windows: Deno's own console handler
 * returns at once, and if registered after ours it would run first.
 *
 * @module
 */

import type { EventName } from "../../config/types.ts";
import type { AgentEvent, EventHandler, ListenOptions, Platform, Subscription } from "../types.ts";
import { ConsoleHandler } from "./console_handler.ts";
import { deliver, nativeName } from "./deliver.ts";
import { HoldCoordinator } from "./hold.ts";
import { spawn } from "./job.ts";
import { shutdownLimit } from "./registry.ts";
import { DEFAULT_HOLD_LIMIT_MS } from "./protocol.ts";
import { SessionWindow, type WindowStatus } from "./window.ts";

export type { WindowStatus } from "./window.ts";
export { DEFAULT_HOLD_LIMIT_MS } from "./protocol.ts";

/**
 * The worker modules, relative to the repository root. `deno compile` must
 * `--include` each of them (they are loaded with `new Worker(new URL(...))`).
 */
export const WORKER_MODULES: readonly string[] = [
  "src/platform/windows/console_handler_worker.ts",
  "src/platform/windows/window_worker.ts",
];

/** Options of {@link windowsPlatform}. */
export interface WindowsPlatformOptions {
  /**
   * How long (ms) a handler thread is held at most, when the shutdown does not
   * end sooner (default 24 h). Set it to the shutdown budget plus a margin;
   * {@link WindowsPlatform.setHoldLimit} changes it later.
   */
  holdLimitMs?: number;
  /** Create the hidden session-end window (default true). */
  window?: boolean;
  /** Called for events that are not listened for (they go on to the OS default). */
  onPassed?: (event: AgentEvent) => void;
  /** Called when a held event is released by the hold limit rather than by the end of the shutdown. */
  onHoldTimeout?: (event: AgentEvent) => void;
}

/** What {@link WindowsPlatform.listen} returns. */
export interface WindowsSubscription extends Subscription {
  /** Resolves once the console handler is registered (events are held from then on). */
  readonly ready: Promise<void>;
  /** Settles once the hidden window exists, or could not be created (or is disabled). */
  readonly window: Promise<WindowStatus>;
  /**
   * Test aid: a full garbage collection in the handler workers, when the
   * process runs with `--v8-flags=--expose-gc` (no-op otherwise).
   */
  collectGarbage(): void;
}

/** The Windows platform, with its extras. */
export interface WindowsPlatform extends Platform {
  readonly name: "windows";
  listen(
    events: readonly EventName[],
    onEvent: EventHandler,
    options?: ListenOptions,
  ): WindowsSubscription;
  /** Changes the hold limit (ms) for events from now on. */
  setHoldLimit(ms: number): void;
}

const CONSOLE_SLOT = 0;
const WINDOW_SLOT = 1;

interface Active {
  coordinator: HoldCoordinator;
  handlers: ConsoleHandler;
  window?: SessionWindow;
}

/** The one listening state of the process (console handlers are process-wide). */
let active: Active | undefined;

/**
 * Creates the Windows platform. Nothing is started until `listen`; only one
 * subscription can be active at a time in a process.
 */
export function windowsPlatform(options: WindowsPlatformOptions = {}): WindowsPlatform {
  let holdLimitMs = options.holdLimitMs ?? DEFAULT_HOLD_LIMIT_MS;

  function listen(
    events: readonly EventName[],
    onEvent: EventHandler,
    listenOptions: ListenOptions = {},
  ): WindowsSubscription {
    if (active) throw new Error("Already listening for console events; close that first");
    if (listenOptions.holdLimitMs !== undefined) holdLimitMs = listenOptions.holdLimitMs;
    const coordinator = new HoldCoordinator(2, holdLimitMs);
    coordinator.onPassed = listenOptions.onPassed ?? options.onPassed;
    coordinator.onHoldTimeout = options.onHoldTimeout;
    coordinator.activate(events, onEvent);
    const handlers = new ConsoleHandler(coordinator, CONSOLE_SLOT);
    const window = options.window === false
      ? undefined
      : new SessionWindow(coordinator, WINDOW_SLOT, `GracefulShutdownAgent.${Deno.pid}`);
    const state: Active = { coordinator, handlers, window };
    active = state;
    return {
      ready: handlers.ready,
      narrow(keep, narrowOptions = {}) {
        if (narrowOptions.onPassed) coordinator.onPassed = narrowOptions.onPassed;
        if (narrowOptions.holdLimitMs !== undefined) {
          holdLimitMs = narrowOptions.holdLimitMs;
          coordinator.setHoldLimit(holdLimitMs);
        }
        coordinator.activate(keep, onEvent);
      },
      window: window?.status ?? Promise.resolve({ ok: false, reason: "disabled" }),
      collectGarbage() {
        handlers.collectGarbage();
        window?.collectGarbage();
      },
      close() {
        if (active !== state) return;
        active = undefined;
        coordinator.deactivate();
        handlers.stop();
        window?.stop();
      },
    };
  }

  return {
    name: "windows",
    nativeName,
    listen,
    // The default console handler ends the process; an event held before the agent knew
    // it was not wanted cannot be handed back to it, so end the process the same way.
    passOn: () => Deno.exit(1),
    deliver,
    spawn,
    shutdownLimit,
    setHoldLimit(ms: number) {
      holdLimitMs = ms;
      active?.coordinator.setHoldLimit(ms);
    },
  };
}
