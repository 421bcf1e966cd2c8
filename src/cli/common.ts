/**
 * What several subcommands share: finding and loading the config, reporting
 * its errors, and making the logger.
 *
 * @module
 */

import {
  type Config,
  ConfigError,
  defaultConfig,
  EVENT_NAMES,
  type EventName,
  loadConfig,
  locateConfig,
} from "../config/mod.ts";
import { EXIT_USAGE } from "../exit_codes.ts";
import { createLogger, errorText, type LogFormat, type Logger, secretValues } from "../log/mod.ts";
import { type AgentOutcome, EXIT_MARGIN_MS } from "../agent.ts";
import { fitBudget } from "../platform/shutdown_limits.ts";
import { reportFormatOf, timelineOf, writeReport } from "../report/mod.ts";

/** A failure the CLI reports in one line and turns into an exit code. */
export class CliError extends Error {
  /** The exit code. */
  readonly exitCode: number;
  /** Creates the error; `message` may hold several lines, each printed as is. */
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/**
 * Finds and loads the configuration (`--config`, `$SHUTDOWN_AGENT_CONFIG`,
 * `agent.yaml` beside the executable, `./agent.yaml`; built-in defaults when
 * none exists). Throws {@link CliError} with every problem found.
 */
export async function loadCliConfig(explicit: string | undefined): Promise<Config> {
  const env = Deno.env.toObject();
  const path = locateConfig({
    explicit,
    env,
    execPath: Deno.execPath(),
    standalone: Deno.build.standalone,
    cwd: Deno.cwd(),
  });
  if (path === undefined) return defaultConfig();
  try {
    return await loadConfig(path, { env });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT_USAGE);
    throw error;
  }
}

/** Validates a `--log-format` value. */
export function parseLogFormat(value: string): LogFormat {
  if (value !== "text" && value !== "json") {
    throw new CliError(`Log format must be "text" or "json", not "${value}"`, EXIT_USAGE);
  }
  return value;
}

/** The values no output may show: secret-looking variables of the agent's and the steps' env. */
export function configSecrets(config: Config): string[] {
  const stepEnvs = config.steps.flatMap((entry) =>
    entry.kind === "step" ? [entry.step.env] : entry.steps.map((s) => s.env)
  );
  return secretValues([Deno.env.toObject(), ...stepEnvs], config.log.redact);
}

/** The logger for a run: format from the flag or the config, the config's file, secrets hidden. */
export function loggerFor(config: Config, format: LogFormat | undefined): Logger {
  return createLogger({
    format: format ?? config.log.format,
    file: config.log.file,
    secrets: configSecrets(config),
  });
}

/** Validates an event name given on the command line. */
export function parseEventName(value: string): EventName {
  if (!(EVENT_NAMES as readonly string[]).includes(value)) {
    throw new CliError(
      `Unknown event "${value}"; expected one of ${EVENT_NAMES.join(", ")}`,
      EXIT_USAGE,
    );
  }
  return value as EventName;
}

/** Validates a `--report` path: it must end in .svg or .json. */
export function parseReportPath(path: string): string {
  if (reportFormatOf(path) === undefined) {
    throw new CliError(`Report file must end in .svg or .json, not "${path}"`, EXIT_USAGE);
  }
  return path;
}

/**
 * Writes the `--report` file of a finished shutdown; a failure is logged, never fatal.
 * `platformKillMs`: when the platform would have killed the agent (the budget
 * is then the one the agent kept, see `fitBudget`).
 */
export function writeReportFile(
  path: string,
  outcome: AgentOutcome,
  options: { config: Config; logger: Logger; platformKillMs?: number },
): void {
  const budgetMs =
    fitBudget(options.config.budgetMs, options.platformKillMs, EXIT_MARGIN_MS).budgetMs;
  const timeline = timelineOf(outcome, { budgetMs, platformKillMs: options.platformKillMs });
  if (!timeline) return;
  try {
    writeReport(path, timeline);
  } catch (error) {
    options.logger.log("warn", "warning", {
      message: `Cannot write the report ${path}: ${errorText(error)}`,
    });
  }
}
