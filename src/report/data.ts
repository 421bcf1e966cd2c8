/**
 * The timeline of one shutdown as plain data: what `--report FILE.json`
 * writes and what the SVG chart is drawn from. Times are milliseconds from the
 * start of the sequence.
 *
 * @module
 */

import type { AgentOutcome } from "../agent.ts";
import type { StepOutcome } from "../process/step.ts";
import { VERSION } from "../version.ts";

/** One bar of the chart. */
export interface TimelineStep {
  /** The step's name. */
  name: string;
  /** How it ended. */
  outcome: StepOutcome;
  /** Start, in ms from the sequence start (undefined when skipped). */
  start_ms?: number;
  /** End, in ms from the sequence start. */
  end_ms?: number;
  /** Its exit code, when it ran to an exit. */
  exit_code?: number;
  /** Why it was skipped or timed out. */
  reason?: string;
}

/** The shutdown timeline, as written to `--report FILE.json`. */
export interface Timeline {
  /** The agent version that wrote it. */
  agent: string;
  /** The event that started the shutdown, or `main.exit` when the app exiting did. */
  trigger: string;
  /** How that event arrived (signal, console, window, control, internal). */
  source?: string;
  /** Wall-clock time the sequence started (ISO 8601). */
  started_at: string;
  /** The budget, in ms. */
  budget_ms: number;
  /** When the platform would kill the process, in ms from the start, when known. */
  platform_kill_ms?: number;
  /** When the sequence ended. */
  end_ms: number;
  /** ok, failed, timeout or error. */
  outcome: string;
  /** The agent's exit code. */
  exit_code: number;
  /** The steps, in plan order. */
  steps: TimelineStep[];
  /** The app, in supervisor mode. */
  main?: {
    /** When it was sent its stop event (undefined when it exited on its own first). */
    stop_ms?: number;
    /** When it exited; negative when that was before the sequence started. */
    exit_ms?: number;
    /** Its exit code. */
    exit_code?: number;
    /** The signal that ended it, on POSIX. */
    signal?: string;
  };
}

/** Builds the timeline of a finished shutdown; undefined when no sequence ran. */
export function timelineOf(
  outcome: AgentOutcome,
  options: { budgetMs: number; platformKillMs?: number },
): Timeline | undefined {
  const sequence = outcome.sequence;
  if (!sequence) return undefined;
  const t0 = sequence.startedAt;
  const rel = (t: number | undefined) => t === undefined ? undefined : t - t0;
  return {
    agent: VERSION,
    trigger: outcome.event?.name ?? "main.exit",
    source: outcome.event?.source,
    started_at: new Date(t0).toISOString(),
    budget_ms: options.budgetMs,
    platform_kill_ms: options.platformKillMs,
    end_ms: sequence.endedAt - t0,
    outcome: sequence.outcome,
    exit_code: outcome.exitCode,
    steps: sequence.steps.map((step) => ({
      name: step.name,
      outcome: step.outcome,
      start_ms: rel(step.startedAt),
      end_ms: rel(step.endedAt),
      exit_code: step.exitCode,
      reason: step.reason,
    })),
    main: outcome.main && {
      stop_ms: rel(outcome.main.stopAt),
      exit_ms: rel(outcome.main.exitedAt),
      exit_code: outcome.main.status?.code,
      signal: outcome.main.status?.signal,
    },
  };
}
