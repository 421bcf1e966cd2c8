/**
 * The supervised app: started in a boundary of its own (so the container's
 * events reach the agent, not the app), stopped by the agent when the plan says
 * so, and killed with its whole tree when it outlives its grace.
 *
 * @module
 */

import { EXIT_NOT_FOUND, spawnFailureCode } from "../exit_codes.ts";
import type { EventName } from "../config/types.ts";
import { errorText, type Logger } from "../log/mod.ts";
import type { ExitStatus, ManagedProcess, Platform } from "../platform/mod.ts";
import { settlesWithin } from "../time.ts";

/** A running (or exited) main app. */
export interface MainApp {
  /** Its process id. */
  readonly pid: number;
  /** Settles when the app exits; `main.exit` is logged then. */
  readonly exited: Promise<ExitStatus>;
  /** Whether it is still running. */
  running(): boolean;
  /**
   * Sends `event`, waits up to `graceMs` for the app to exit, then kills its
   * whole tree. Resolves once it is gone. Does nothing when it already exited.
   */
  stop(event: EventName, graceMs: number): Promise<void>;
  /** Kills whatever the app left behind in its boundary (after it exited). */
  reap(): void;
}

/** Why the app could not start, with the exit code the agent then ends with. */
export class MainStartError extends Error {
  /** 127: not found; 126: found but cannot be executed. */
  readonly exitCode: number;
  /** Creates the error. */
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = "MainStartError";
    this.exitCode = exitCode;
  }
}

/** Starts the app with the agent's stdio and working directory. Throws {@link MainStartError}. */
export function startMainApp(
  argv: readonly string[],
  options: { platform: Platform; logger: Logger },
): MainApp {
  const { platform, logger } = options;
  let child: ManagedProcess;
  try {
    child = platform.spawn(argv, { stdio: "inherit" });
  } catch (error) {
    const code = spawnFailureCode(error);
    throw new MainStartError(
      code === EXIT_NOT_FOUND
        ? `Command not found: ${argv[0]}`
        : `Cannot execute ${argv[0]}: ${errorText(error)}`,
      code,
    );
  }
  let isRunning = true;
  const exited = child.status.then((status) => {
    isRunning = false;
    logger.log("info", "main.exit", {
      pid: child.pid,
      exit_code: status.code,
      signal: status.signal,
    });
    return status;
  });
  logger.log("info", "main.start", { pid: child.pid, command: [...argv] });

  return {
    pid: child.pid,
    exited,
    running: () => isRunning,
    async stop(event, graceMs) {
      if (!isRunning) {
        child.reap(); // it exited on its own: what it left in its boundary goes too
        return;
      }
      logger.log("info", "main.stop", {
        pid: child.pid,
        event,
        signal: platform.nativeName(event),
        grace_ms: graceMs,
      });
      try {
        child.deliver(event);
      } catch (error) {
        logger.log("warn", "warning", {
          message: `Could not deliver ${event} to the app: ${errorText(error)}`,
        });
      }
      if (!await settlesWithin(exited, graceMs)) {
        logger.log("warn", "main.kill", { pid: child.pid, reason: "grace ran out" });
        await child.killTree({ graceMs: 0 });
        await exited;
      }
      child.reap();
    },
    reap: () => child.reap(),
  };
}
