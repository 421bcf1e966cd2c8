/**
 * Linux and macOS: events are POSIX signals, and each child runs in a session
 * and process group of its own, so one `kill(-pgid)` ends its whole tree.
 *
 * @module
 */

import type { EventName } from "../config/types.ts";
import { settlesWithin } from "../time.ts";
import {
  DeliveryError,
  type EventHandler,
  type ExitStatus,
  type ManagedProcess,
  type Platform,
  type SpawnOptions,
  type Subscription,
} from "./types.ts";

/** The signal each event maps to. `logoff` has none on POSIX. */
export const SIGNALS: Readonly<Record<EventName, Deno.Signal | undefined>> = {
  "shutdown": "SIGTERM",
  "ctrl-c": "SIGINT",
  "close": "SIGHUP",
  "ctrl-break": "SIGQUIT",
  "logoff": undefined,
};

/** Signal numbers, for the exit code of the default action (128+N). */
const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGTERM: 15,
};

/** The POSIX platform. */
export const posixPlatform: Platform = {
  name: "posix",
  nativeName: (event) => SIGNALS[event],
  listen,
  // Deno keeps a signal caught once it had a listener, so the default action
  // (termination) is done here: exit as a process killed by the signal would report.
  passOn: (event) => Deno.exit(128 + (SIGNAL_NUMBERS[SIGNALS[event.name] ?? "SIGTERM"] ?? 15)),
  deliver,
  spawn,
  shutdownLimit: () => undefined,
};

function listen(events: readonly EventName[], onEvent: EventHandler): Subscription {
  const installed: [Deno.Signal, () => void][] = [];
  for (const name of events) {
    const signal = SIGNALS[name];
    if (signal === undefined) continue;
    const listener = () => {
      onEvent({ name, source: "signal", detail: signal });
    };
    Deno.addSignalListener(signal, listener);
    installed.push([signal, listener]);
  }
  return {
    ready: Promise.resolve(),
    // A removed listener would leave the signal caught and ignored: the listeners stay,
    // and the agent passes unwanted events on itself (see passOn).
    narrow() {},
    close() {
      for (const [signal, listener] of installed.splice(0)) {
        Deno.removeSignalListener(signal, listener);
      }
    },
  };
}

function deliver(pid: number, event: EventName): void {
  const signal = SIGNALS[event];
  if (signal === undefined) {
    throw new DeliveryError("unsupported", `Event "${event}" has no POSIX signal`);
  }
  try {
    Deno.kill(pid, signal);
  } catch (error) {
    throw deliveryError(error, pid);
  }
}

function deliveryError(error: unknown, pid: number): unknown {
  if (error instanceof Deno.errors.NotFound) {
    return new DeliveryError("not-found", `No process with id ${pid}`);
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new DeliveryError("denied", `Not allowed to signal process ${pid}`);
  }
  return error;
}

function spawn(argv: readonly string[], options: SpawnOptions): ManagedProcess {
  const piped = options.stdio === "piped";
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: options.cwd,
    env: options.env,
    detached: true, // new session: the child's pid is its process group id
    stdin: piped ? "null" : "inherit",
    stdout: piped ? "piped" : "inherit",
    stderr: piped ? "piped" : "inherit",
  }).spawn();
  const pid = child.pid;
  let exited = false;
  const status: Promise<ExitStatus> = child.status.then((s) => {
    exited = true;
    return s.signal ? { code: s.code, signal: s.signal } : { code: s.code };
  });

  function signalGroup(signal: Deno.Signal): boolean {
    try {
      Deno.kill(-pid, signal);
      return true;
    } catch {
      return false; // the group is empty
    }
  }

  return {
    pid,
    status,
    stdout: piped ? child.stdout : null,
    stderr: piped ? child.stderr : null,
    deliver(event) {
      if (exited) return;
      deliver(pid, event);
    },
    async killTree({ graceMs }) {
      if (graceMs > 0 && signalGroup("SIGTERM")) await settlesWithin(status, graceMs);
      signalGroup("SIGKILL");
      await status;
    },
    reap() {
      signalGroup("SIGKILL");
    },
  };
}
