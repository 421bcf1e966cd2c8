/**
 * The agent's configuration: finding, reading and validating `agent.yaml`.
 *
 * ```ts
 * const file = locateConfig({
 *   env: Deno.env.toObject(),
 *   execPath: Deno.execPath(),
 *   standalone: false,
 *   cwd: Deno.cwd(),
 * });
 * const config = file ? await loadConfig(file) : defaultConfig();
 * ```
 *
 * @module
 */

export type {
  Config,
  EventName,
  LogConfig,
  MainConfig,
  Shell,
  StepConfig,
  StepEntry,
  When,
} from "./types.ts";
export { EVENT_NAMES, SHELLS } from "./types.ts";
export { ConfigError, type ConfigProblem, formatProblem } from "./errors.ts";
export {
  defaultConfig,
  loadConfig,
  type LoadOptions,
  parseConfig,
  type ParseOptions,
} from "./load.ts";
export { CONFIG_ENV_VAR, CONFIG_FILE_NAME, locateConfig, type LocateOptions } from "./locate.ts";
export { formatDuration, MAX_DURATION_MS, parseDuration } from "./duration.ts";
export { configJsonSchema } from "./schema.ts";
export type { Env } from "./interpolate.ts";
