/**
 * `agent check [-c FILE]`: validate the configuration and print the plan.
 *
 * @module
 */

import type { Command } from "commander";
import { formatDuration } from "../config/mod.ts";
import { EXIT_OK } from "../exit_codes.ts";
import { redactor } from "../log/mod.ts";
import { buildPlan, describePlan, worstCaseMs } from "../plan.ts";
import { configSecrets, loadCliConfig } from "./common.ts";

/** Adds the `check` subcommand; `report` receives the exit code. */
export function registerCheck(program: Command, report: (code: number) => void): void {
  program
    .command("check")
    .description("Validate the configuration and print the plan (exit 0 valid, 2 invalid)")
    .option("-c, --config <file>", "configuration file")
    .action(async (opts: { config?: string }) => {
      const config = await loadCliConfig(opts.config);
      const plan = buildPlan(config, { supervising: config.main !== undefined });
      const budget = formatDuration(plan.budgetMs);
      const lines = [
        config.source ? `${config.source}: valid` : "No configuration file found: using defaults",
        `Events: ${config.events.join(", ")}`,
        `Budget: ${budget}`,
        plan.stages.length > 0 ? "Plan:" : "Plan: no steps",
        ...describePlan(plan).map((line) => `  ${line}`),
      ];
      const worst = worstCaseMs(plan);
      if (worst === undefined) {
        lines.push(`Worst case: bounded by the budget (${budget}), as some steps have no timeout`);
      } else if (worst > plan.budgetMs) {
        lines.push(
          `Warning: the worst case (${
            formatDuration(worst)
          }) exceeds the budget (${budget}); steps still running when it ends are killed and later ones skipped`,
        );
      } else {
        lines.push(`Worst case: ${formatDuration(worst)} of the ${budget} budget`);
      }
      // `run` is printed expanded: hide secrets as the logger does.
      console.log(redactor(configSecrets(config))(lines.join("\n")));
      report(EXIT_OK);
    });
}
