/**
 * From configuration to plan: the steps that run before the app is stopped,
 * the stop itself, and the steps that run after, in order.
 *
 * @module
 */

import type { Config, EventName, StepConfig } from "./config/mod.ts";
import { formatDuration } from "./config/mod.ts";

/** One stage of the plan. */
export type Stage =
  /** Steps that run one after another (one member) or together (`parallel`). */
  | { kind: "steps"; parallel: boolean; steps: StepConfig[] }
  /** Stop the main app: send it its stop event, wait, kill its tree. */
  | { kind: "stop-main"; stopEvent?: EventName; graceMs: number };

/** What a shutdown does, in order, within its budget. */
export interface Plan {
  /** The whole sequence must end within this many milliseconds. */
  budgetMs: number;
  /** Stages, in order. */
  stages: Stage[];
}

/** Builds the plan. `supervising` says whether a main app is started. */
export function buildPlan(config: Config, options: { supervising: boolean }): Plan {
  const before: Stage[] = [];
  const after: Stage[] = [];
  for (const entry of config.steps) {
    const stage: Stage = entry.kind === "step"
      ? { kind: "steps", parallel: false, steps: [entry.step] }
      : { kind: "steps", parallel: true, steps: entry.steps };
    (stageWhen(entry) === "after" ? after : before).push(stage);
  }
  const stopMain: Stage[] = options.supervising
    ? [{
      kind: "stop-main",
      stopEvent: config.main?.stopEvent,
      graceMs: config.main?.graceMs ?? DEFAULT_GRACE_MS,
    }]
    : [];
  return { budgetMs: config.budgetMs, stages: [...before, ...stopMain, ...after] };
}

/** The grace the app gets when the config has no `main` section. */
export const DEFAULT_GRACE_MS = 10_000;

function stageWhen(entry: Config["steps"][number]): "before" | "after" {
  return entry.kind === "step" ? entry.step.when : entry.when;
}

/**
 * The longest the plan can take: per-step timeouts added up (the longest
 * member for a parallel group), the app's grace included. `undefined` when a
 * step has no timeout of its own, so only the budget bounds it.
 */
export function worstCaseMs(plan: Plan): number | undefined {
  let total = 0;
  for (const stage of plan.stages) {
    if (stage.kind === "stop-main") {
      total += stage.graceMs;
      continue;
    }
    let longest = 0;
    for (const step of stage.steps) {
      if (step.timeoutMs === undefined) return undefined;
      longest = Math.max(longest, step.timeoutMs);
    }
    total += longest;
  }
  return total;
}

/** A human-readable listing of the plan, as `agent check` prints it. */
export function describePlan(plan: Plan): string[] {
  const lines: string[] = [];
  let n = 0;
  for (const stage of plan.stages) {
    if (stage.kind === "stop-main") {
      n++;
      const event = stage.stopEvent ?? "the event received";
      lines.push(
        `${n}. stop the main app: send ${event}, kill its tree after ${
          formatDuration(stage.graceMs)
        }`,
      );
      continue;
    }
    if (stage.parallel) {
      n++;
      lines.push(`${n}. in parallel:`);
      for (const step of stage.steps) lines.push(`   - ${describeStep(step)}`);
    } else {
      n++;
      lines.push(`${n}. ${describeStep(stage.steps[0])}`);
    }
  }
  return lines;
}

function describeStep(step: StepConfig): string {
  const limit = step.timeoutMs === undefined
    ? "until the budget ends"
    : `timeout ${formatDuration(step.timeoutMs)}`;
  const extra = step.continueOnError ? "" : ", stops the sequence on failure";
  return `${step.name} (${step.shell}, ${limit}${extra}): ${step.run}`;
}
