/**
 * `agent run [-c FILE] [--log-format F] [-- COMMAND ARGS...]`: register for
 * the events and wait; with a command (or `main.command`), supervise it.
 *
 * @module
 */

import type { Command } from "commander";
import { runAgent } from "../agent.ts";
import { controlFilePath } from "../control/mod.ts";
import type { EventGate } from "../events.ts";
import { currentPlatform, type Platform } from "../platform/mod.ts";
import {
  loadCliConfig,
  loggerFor,
  parseLogFormat,
  parseReportPath,
  writeReportFile,
} from "./common.ts";

interface RunOptions {
  config?: string;
  logFormat?: string;
  report?: string;
  control?: string;
}

/** Adds the `run` subcommand; `done` receives the exit code. */
export function registerRun(
  program: Command,
  done: (code: number) => void,
  early: { platform?: Platform; gate?: EventGate } = {},
): void {
  program
    .command("run")
    .description(
      "Wait for a shutdown event, then run the cleanup steps. With a command, start it " +
        "and stop it in order (supervisor mode), exiting with its code.",
    )
    .argument("[command...]", "the app to supervise (after --); overrides main.command")
    .option("-c, --config <file>", "configuration file")
    .option("--log-format <format>", "text or json (overrides log.format)")
    .option("--report <file>", "write the shutdown timeline to FILE.svg or FILE.json")
    .option("--control <file>", "control file for agent stop (default: $SHUTDOWN_AGENT_CONTROL)")
    .action(async (command: string[], opts: RunOptions) => {
      const format = opts.logFormat === undefined ? undefined : parseLogFormat(opts.logFormat);
      const report = opts.report === undefined ? undefined : parseReportPath(opts.report);
      const config = await loadCliConfig(opts.config);
      const mainArgv = command.length > 0 ? command : config.main?.command;
      const platform = early.platform ?? await currentPlatform();
      const logger = loggerFor(config, format);
      const platformLimit = platform.shutdownLimit();
      const outcome = await runAgent({
        config,
        platform,
        logger,
        mainArgv,
        controlPath: controlFilePath(opts.control),
        gate: early.gate,
        platformLimit,
      });
      if (report) {
        writeReportFile(report, outcome, { config, logger, platformKillMs: platformLimit?.ms });
      }
      logger.close();
      done(outcome.exitCode);
    });
}
