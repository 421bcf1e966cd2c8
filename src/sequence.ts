/**
 * The shutdown sequence: runs a plan exactly once against a deadline and
 * records what happened. It knows steps, order and time; it knows nothing of
 * the operating system (steps and the app are run through the callbacks).
 *
 * @module
 */

import type { EventName, StepConfig } from "./config/mod.ts";
import type { Logger } from "./log/mod.ts";
import type { Plan } from "./plan.ts";
import type { StepResult } from "./process/step.ts";

/** How the whole sequence went. */
export type SequenceOutcome = "ok" | "failed" | "timeout";

/** What a finished sequence reports. */
export interface SequenceResult {
  /** `ok` when every step succeeded; `timeout` when the budget cut it short. */
  outcome: SequenceOutcome;
  /** Every step, in plan order, including skipped ones. */
  steps: StepResult[];
  /** Epoch milliseconds the sequence started. */
  startedAt: number;
  /** Epoch milliseconds it ended. */
  endedAt: number;
  /** Epoch milliseconds of the deadline it ran against. */
  deadline: number;
}

/** Options of {@link runSequence}. */
export interface SequenceOptions {
  /** The event that started the shutdown; the app's default stop event. */
  event: EventName;
  /** Epoch milliseconds by which everything must have ended. */
  deadline: number;
  /** Records go here. */
  logger: Logger;
  /** Runs one step with a time limit. Must not throw. */
  runStep: (
    step: StepConfig,
    limit: { timeoutMs: number; limitReason: "timeout" | "budget" },
  ) => Promise<StepResult>;
  /** Stops the main app; absent in sidecar mode or when the app already exited. */
  stopMain?: (event: EventName, graceMs: number) => Promise<void>;
  /** How often a `waiting` record is written while steps run (0: never). */
  progressMs?: number;
}

/** Runs `plan` once and resolves when every stage has ended or been skipped. */
export async function runSequence(plan: Plan, options: SequenceOptions): Promise<SequenceResult> {
  const { logger, deadline } = options;
  const startedAt = Date.now();
  const results: StepResult[] = [];
  const running = new Map<string, number>();
  let skipReason: string | undefined;
  let budgetSpent = false;

  const progress = options.progressMs
    ? setInterval(() => {
      const now = Date.now();
      logger.log("info", "waiting", {
        running: [...running.keys()],
        elapsed_ms: [...running.values()].map((t) => now - t),
        budget_left_ms: Math.max(0, deadline - now),
      });
    }, options.progressMs)
    : undefined;

  async function step(config: StepConfig): Promise<StepResult> {
    const remaining = deadline - Date.now();
    if (skipReason !== undefined || remaining <= 0) {
      const reason = skipReason ?? "the budget ran out";
      if (skipReason === undefined) budgetSpent = true;
      logger.log("warn", "step.end", { step: config.name, outcome: "skipped", reason });
      return { name: config.name, outcome: "skipped", reason };
    }
    const byBudget = config.timeoutMs === undefined || config.timeoutMs > remaining;
    logger.log("info", "step.start", { step: config.name });
    running.set(config.name, Date.now());
    const result = await options.runStep(config, {
      timeoutMs: byBudget ? remaining : config.timeoutMs!,
      limitReason: byBudget ? "budget" : "timeout",
    });
    running.delete(config.name);
    if (result.outcome === "timeout" && byBudget) budgetSpent = true;
    logger.log(result.outcome === "ok" ? "info" : "warn", "step.end", {
      step: result.name,
      outcome: result.outcome,
      exit_code: result.exitCode,
      duration_ms: (result.endedAt ?? startedAt) - (result.startedAt ?? startedAt),
      reason: result.reason,
    });
    return result;
  }

  try {
    for (const stage of plan.stages) {
      if (stage.kind === "stop-main") {
        // The app is stopped even when steps failed: it must not outlive the agent.
        if (options.stopMain) {
          const left = Math.max(0, deadline - Date.now());
          await options.stopMain(stage.stopEvent ?? options.event, Math.min(stage.graceMs, left));
        }
        continue;
      }
      const stageResults = stage.parallel
        ? await Promise.all(stage.steps.map(step))
        : [await step(stage.steps[0])];
      results.push(...stageResults);
      for (const [i, result] of stageResults.entries()) {
        const config = stage.steps[i];
        if (
          skipReason === undefined && !config.continueOnError &&
          (result.outcome === "failed" || result.outcome === "timeout")
        ) {
          skipReason = `step "${config.name}" failed and has continue_on_error: false`;
        }
      }
    }
  } finally {
    clearInterval(progress);
  }

  const outcome: SequenceOutcome = budgetSpent
    ? "timeout"
    : results.every((r) => r.outcome === "ok")
    ? "ok"
    : "failed";
  return { outcome, steps: results, startedAt, endedAt: Date.now(), deadline };
}
