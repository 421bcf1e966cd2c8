/**
 * `agent simulate [-c FILE] [--event NAME]`: run the whole shutdown now, as if
 * the event had arrived, and print its timeline.
 *
 * @module
 */

import type { Command } from "commander";
import { runAgent } from "../agent.ts";
import { currentPlatform } from "../platform/mod.ts";
import { formatTimeline } from "../report/mod.ts";
import {
  loadCliConfig,
  loggerFor,
  parseEventName,
  parseLogFormat,
  parseReportPath,
  writeReportFile,
} from "./common.ts";

interface SimulateOptions {
  config?: string;
  event: string;
  logFormat?: string;
  report?: string;
}

/** Adds the `simulate` subcommand; `done` receives the exit code. */
export function registerSimulate(program: Command, done: (code: number) => void): void {
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
    .option("--report <file>", "also write the timeline to FILE.svg or FILE.json")
    .action(
      async (command: string[], opts: SimulateOptions) => {
        const event = parseEventName(opts.event);
        const format = opts.logFormat === undefined ? undefined : parseLogFormat(opts.logFormat);
        const report = opts.report === undefined ? undefined : parseReportPath(opts.report);
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
        if (report) writeReportFile(report, outcome, { config, logger });
        logger.close();
        if (logger.format === "text") {
          console.log(formatTimeline(outcome, { budgetMs: config.budgetMs }).join("\n"));
        }
        done(outcome.exitCode);
      },
    );
}
