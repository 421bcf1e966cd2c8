/**
 * Running one cleanup step: start it in a process boundary of its own, pass its
 * output on line by line, end its whole tree when it outlives its time.
 *
 * @module
 */

import { spawnFailureCode } from "../exit_codes.ts";
import type { Shell, StepConfig } from "../config/types.ts";
import { errorText, type Logger } from "../log/mod.ts";
import type { ManagedProcess, Platform } from "../platform/mod.ts";
import { settlesWithin } from "../time.ts";
import { pumpLines } from "./lines.ts";
import { selfArgv, STEP_HOST_COMMAND } from "./self.ts";

/** Time a step gets between the polite stop and the kill when its time is up. */
export const KILL_GRACE_MS = 500;

/** How long output still buffered in pipes is read after a step's tree is gone. */
const DRAIN_MS = 500;

/**
 * The same after the step was killed: only a process that escaped its boundary
 * can still hold a pipe then, and the kill grace plus this must stay well inside
 * the agent's exit margin.
 */
const KILLED_DRAIN_MS = 100;

/** How one step ended. */
export type StepOutcome = "ok" | "failed" | "timeout" | "skipped";

/** The record of one step's run. */
export interface StepResult {
  /** The step's name. */
  name: string;
  /** How it ended. */
  outcome: StepOutcome;
  /** Its exit code, when it ran to an exit. */
  exitCode?: number;
  /** Epoch milliseconds when it started (undefined when skipped). */
  startedAt?: number;
  /** Epoch milliseconds when it ended. */
  endedAt?: number;
  /** Why it was skipped, timed out or could not start. */
  reason?: string;
}

/** Options of {@link runStep}. */
export interface RunStepOptions {
  /** The OS layer. */
  platform: Platform;
  /** Where the step's output goes. */
  logger: Logger;
  /** The step is killed, with its tree, after this long. */
  timeoutMs: number;
  /** Why the time limit is what it is (`timeout` or `budget`), for the record. */
  limitReason: "timeout" | "budget";
}

/** The argv that runs a step's `run` under its shell. */
export function stepArgv(run: string, shell: Shell): string[] {
  switch (shell) {
    case "dax":
      return [...selfArgv(), STEP_HOST_COMMAND, run];
    case "sh":
    case "bash":
      return [shell, "-c", run];
    case "cmd":
      return ["cmd.exe", "/d", "/s", "/c", run];
    case "powershell":
    case "pwsh":
      return [shell, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", run];
  }
}

/** Runs one step to its end and reports how it went. Never throws. */
export async function runStep(step: StepConfig, options: RunStepOptions): Promise<StepResult> {
  const { platform, logger, timeoutMs } = options;
  const startedAt = Date.now();
  let child: ManagedProcess;
  try {
    child = platform.spawn(stepArgv(step.run, step.shell), {
      cwd: step.cwd,
      env: step.env,
      stdio: "piped",
    });
  } catch (error) {
    const exitCode = spawnFailureCode(error);
    return {
      name: step.name,
      outcome: "failed",
      exitCode,
      startedAt,
      endedAt: Date.now(),
      reason: `Cannot start ${step.shell === "dax" ? "the step" : step.shell}: ${errorText(error)}`,
    };
  }

  const stopReading = new AbortController();
  const { signal } = stopReading;
  const pumps = Promise.all([
    child.stdout &&
    pumpLines(child.stdout, (line) => logger.output(step.name, "stdout", line), { signal }),
    child.stderr &&
    pumpLines(child.stderr, (line) => logger.output(step.name, "stderr", line), { signal }),
  ]);

  let timedOut = false;
  let killing: Promise<void> | undefined;
  // A kill that fails must reach the agent (an `error`, exit 70), not be left
  // as an unhandled rejection while the wait below goes on (that ends Deno).
  const killFailed = Promise.withResolvers<never>();
  killFailed.promise.catch(() => {});
  const timer = setTimeout(() => {
    timedOut = true;
    killing = child.killTree({ graceMs: KILL_GRACE_MS });
    killing.catch(killFailed.reject);
  }, Math.max(0, timeoutMs));

  const status = await Promise.race([child.status, killFailed.promise]);
  clearTimeout(timer);
  await killing;
  child.reap(); // nothing the step left behind outlives it
  await drain(pumps, stopReading, timedOut ? KILLED_DRAIN_MS : DRAIN_MS);
  const endedAt = Date.now();

  if (timedOut) {
    return {
      name: step.name,
      outcome: "timeout",
      exitCode: status.code,
      startedAt,
      endedAt,
      reason: options.limitReason === "budget"
        ? "the budget ran out"
        : `it ran longer than its timeout`,
    };
  }
  return {
    name: step.name,
    outcome: status.code === 0 ? "ok" : "failed",
    exitCode: status.code,
    startedAt,
    endedAt,
  };
}

/** Waits briefly for the output pumps; cancels them if a stray process still holds a pipe. */
async function drain(
  pumps: Promise<unknown>,
  stopReading: AbortController,
  ms: number,
): Promise<void> {
  if (!await settlesWithin(pumps, ms)) {
    stopReading.abort();
    await pumps;
  }
}
