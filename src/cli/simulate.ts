/**
 * `agent simulate [-c FILE] [--event NAME]`: run the whole shutdown now, as if
 * the event had arrived, and print its timeline.
 *
 * @module
 */

import type { Command } from "commander";
import { runAgent } from "../agent.ts";
import { currentPlatform } from "../platform/mod.ts";
import { formatTimeline } from "../report/timeline.ts";
import { loadCliConfig, loggerFor, parseEventName, parseLogFormat } from "./common.ts";

/** Adds the `simulate` subcommand; `report` receives the exit code. */
export function registerSimulate(program: Command, report: (code: number) => void): void {
  program
    .command("simulate")
    .description(
      "Run the shutdown now, as if the event had arrived, and print its timeline. " +
        "With a command (or main.command) the app is started first, then stopped.",
    )
    .argument("[command...]", "the app to start and stop (after --)")
    .option("-c, --config <file>", "configuration file")
    .option("-e, --event <name>", "the event to simulate", "shutdown")
    .option("--log-format <format>", "text or json (overrides log.format)")
    .action(
      async (command: string[], opts: { config?: string; event: string; logFormat?: string }) => {
        const event = parseEventName(opts.event);
        const format = opts.logFormat === undefined ? undefined : parseLogFormat(opts.logFormat);
        const config = await loadCliConfig(opts.config);
        const mainArgv = command.length > 0 ? command : config.main?.command;
        const platform = await currentPlatform();
        const logger = loggerFor(config, format);
        const outcome = await runAgent({
          config,
          platform,
          logger,
          mainArgv,
          immediateEvent: event,
        });
        logger.close();
        if (logger.format === "text") {
          console.log(formatTimeline(outcome, { budgetMs: config.budgetMs }).join("\n"));
        }
        report(outcome.exitCode);
      },
    );
}
