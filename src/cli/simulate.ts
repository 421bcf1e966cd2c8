/**
 * `agent simulate [-c FILE] [--event NAME]`: run the whole shutdown now, as if
 * the event had arrived, and print its timeline.
 *
 * @module
 */

import type { Command } from "commander";
import { formatTimeline } from "../report/mod.ts";
import { parseEventName } from "./common.ts";
import { runShutdown, type ShutdownCliOptions } from "./shutdown.ts";

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
    .action(async (command: string[], opts: ShutdownCliOptions & { event: string }) => {
      const immediateEvent = parseEventName(opts.event);
      const { outcome, config, format } = await runShutdown(command, opts, { immediateEvent });
      if (format === "text") {
        console.log(formatTimeline(outcome, { budgetMs: config.budgetMs }).join("\n"));
      }
      done(outcome.exitCode);
    });
}
