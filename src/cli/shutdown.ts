/**
 * What `run` and `simulate` share: read the options, load the config, run the
 * agent, write the `--report`. Each command adds only what is its own.
 *
 * @module
 */

import { type AgentOptions, type AgentOutcome, runAgent } from "../agent.ts";
import type { Config } from "../config/mod.ts";
import type { EventGate } from "../events.ts";
import type { LogFormat } from "../log/mod.ts";
import { currentPlatform, type Platform } from "../platform/mod.ts";
import {
  loadCliConfig,
  loggerFor,
  parseLogFormat,
  parseReportPath,
  writeReportFile,
} from "./common.ts";

/** The options `run` and `simulate` both take. */
export interface ShutdownCliOptions {
  /** `--config`. */
  config?: string;
  /** `--log-format`. */
  logFormat?: string;
  /** `--report`. */
  report?: string;
}

/** What a command adds to the shared part. */
export interface ShutdownExtras {
  /** The platform, when main.ts already loaded it. */
  platform?: Platform;
  /** The event gate, when main.ts already opened it. */
  gate?: EventGate;
  /** `run`: where the control file for `agent stop` goes. */
  controlPath?: string;
  /** `simulate`: the event that arrives at once. */
  immediateEvent?: AgentOptions["immediateEvent"];
  /** `run`: cut the budget to what the platform allows (Windows containers). */
  fitPlatformLimit?: boolean;
}

/** Runs a shutdown from the command line; resolves when it ended. */
export async function runShutdown(
  command: readonly string[],
  opts: ShutdownCliOptions,
  extras: ShutdownExtras = {},
): Promise<{ outcome: AgentOutcome; config: Config; format: LogFormat }> {
  const format = opts.logFormat === undefined ? undefined : parseLogFormat(opts.logFormat);
  const report = opts.report === undefined ? undefined : parseReportPath(opts.report);
  const config = await loadCliConfig(opts.config);
  const platform = extras.platform ?? await currentPlatform();
  const logger = loggerFor(config, format);
  const platformLimit = extras.fitPlatformLimit ? platform.shutdownLimit() : undefined;
  const outcome = await runAgent({
    config,
    platform,
    logger,
    mainArgv: command.length > 0 ? command : config.main?.command,
    controlPath: extras.controlPath,
    gate: extras.gate,
    immediateEvent: extras.immediateEvent,
    platformLimit,
  });
  if (report) {
    writeReportFile(report, outcome, { config, logger, platformKillMs: platformLimit?.ms });
  }
  logger.close();
  return { outcome, config, format: logger.format };
}
