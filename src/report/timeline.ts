/**
 * The timeline `agent simulate` prints: what ran when, how it ended, and how
 * much of the budget each part used.
 *
 * @module
 */

import { formatDuration } from "../config/mod.ts";
import type { AgentOutcome } from "../agent.ts";

/** Formats the outcome of a shutdown as a table of lines, for people. */
export function formatTimeline(outcome: AgentOutcome, options: { budgetMs: number }): string[] {
  const sequence = outcome.sequence;
  if (!sequence) return ["No shutdown ran."];
  const t0 = sequence.startedAt;
  const at = (t: number | undefined) => t === undefined ? "-" : `+${formatDuration(t - t0)}`;
  const event = outcome.event ? outcome.event.name : "the app exited";
  const rows: string[][] = [["step", "start", "end", "outcome", "exit", "budget"]];
  for (const step of sequence.steps) {
    const used = step.startedAt !== undefined && step.endedAt !== undefined
      ? `${((step.endedAt - step.startedAt) / options.budgetMs * 100).toFixed(1)}%`
      : "-";
    rows.push([
      step.name,
      at(step.startedAt),
      at(step.endedAt),
      step.outcome,
      step.exitCode === undefined ? "-" : String(step.exitCode),
      used,
    ]);
  }
  if (outcome.main) {
    rows.push([
      "(main app)",
      at(outcome.main.stopAt),
      at(outcome.main.exitedAt),
      outcome.main.status?.signal ? `killed by ${outcome.main.status.signal}` : "exited",
      outcome.main.status ? String(outcome.main.status.code) : "-",
      "-",
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const total = sequence.endedAt - t0;
  return [
    `Shutdown timeline (started by ${event}, budget ${formatDuration(options.budgetMs)})`,
    ...rows.map((r) => "  " + r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()),
    `Finished: ${sequence.outcome} in ${formatDuration(total)} (${
      (total / options.budgetMs * 100).toFixed(1)
    }% of the budget), exit code ${outcome.exitCode}`,
  ];
}
