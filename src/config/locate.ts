/**
 * Finding the config file to use.
 *
 * @module
 */

import { dirname, join } from "node:path";

/** The environment variable that names the config file. */
export const CONFIG_ENV_VAR = "SHUTDOWN_AGENT_CONFIG";

/** The config file name looked for beside the executable and in the working directory. */
export const CONFIG_FILE_NAME = "agent.yaml";

/** Where {@linkcode locateConfig} looks. */
export interface LocateOptions {
  /** A path given on the command line (`--config`); wins over everything. */
  explicit?: string;
  /** The environment; `SHUTDOWN_AGENT_CONFIG` is used when `explicit` is absent. */
  env: Record<string, string | undefined>;
  /** Path of the running executable (`Deno.execPath()`). */
  execPath: string;
  /** True for a compiled binary: then `agent.yaml` beside it is looked for. */
  standalone: boolean;
  /** The working directory, for `./agent.yaml`. */
  cwd: string;
}

/**
 * Decide which config file to use, in this order:
 *
 * 1. `explicit` (`--config`),
 * 2. the `SHUTDOWN_AGENT_CONFIG` environment variable,
 * 3. `agent.yaml` beside the executable, for a compiled binary only,
 * 4. `agent.yaml` in `cwd`.
 *
 * An explicit or environment path is returned even when it does not exist, so
 * the loader reports it; the other two only when they exist.
 *
 * @param options Where to look.
 * @returns The path, or `undefined` when there is no config (use the defaults).
 */
export function locateConfig(options: LocateOptions): string | undefined {
  if (options.explicit !== undefined && options.explicit !== "") return options.explicit;
  const fromEnv = options.env[CONFIG_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (options.standalone) {
    const beside = join(dirname(options.execPath), CONFIG_FILE_NAME);
    if (exists(beside)) return beside;
  }
  const local = join(options.cwd, CONFIG_FILE_NAME);
  return exists(local) ? local : undefined;
}

/** True unless the path is known not to exist (other errors are left to the loader). */
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}
