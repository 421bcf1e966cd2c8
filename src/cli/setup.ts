/**
 * `agent setup --timeout SECONDS`: for a Windows image (a Dockerfile `RUN`),
 * give the container's processes SECONDS at `docker stop` instead of 5:
 * writes `ProcessShutdownTimeoutSeconds` (REG_DWORD, seconds) and
 * `WaitToKillServiceTimeout` (REG_SZ, milliseconds) through advapi32.
 * Idempotent: a value that already has the wanted value is left alone.
 *
 * Exit codes: 0 set (or already set, or nothing to set on POSIX), 2 bad
 * SECONDS, 77 not allowed to write HKLM, 1 any other registry failure.
 *
 * @module
 */

import type { Command } from "commander";
import { EXIT_FAILED, EXIT_NO_PERMISSION, EXIT_OK, EXIT_USAGE } from "../exit_codes.ts";
import { errorText } from "../log/mod.ts";
import {
  parseSetupSeconds,
  planSetup,
  readSettings,
  type RegistryAccess,
} from "../platform/shutdown_limits.ts";
import { ERROR_ACCESS_DENIED, Win32Error } from "../platform/windows/kernel32.ts";
import { CliError } from "./common.ts";

/** Adds the `setup` subcommand; `done` receives the exit code. */
export function registerSetup(program: Command, done: (code: number) => void): void {
  program
    .command("setup")
    .description(
      "Windows image (Dockerfile RUN, as ContainerAdministrator): give the container's " +
        "processes SECONDS at docker stop (ProcessShutdownTimeoutSeconds, " +
        "WaitToKillServiceTimeout). Exit 0 done, 2 bad SECONDS, 77 not allowed, 1 other failure",
    )
    .requiredOption("-t, --timeout <seconds>", "seconds the container's processes get (1-86400)")
    .action(async (opts: { timeout: string }) => {
      const seconds = parseSetupSeconds(opts.timeout);
      if (typeof seconds !== "number") throw new CliError(seconds.error, EXIT_USAGE);
      if (Deno.build.os !== "windows") {
        console.log(
          `Nothing to set on ${Deno.build.os}: the time a container gets is docker stop -t ` +
            `(or --stop-timeout) and Kubernetes' terminationGracePeriodSeconds, not a setting ` +
            `inside the image. Give them at least ${seconds} s.`,
        );
        done(EXIT_OK);
        return;
      }
      const { windowsRegistry } = await import("../platform/windows/registry.ts");
      for (const line of setupLines(windowsRegistry, seconds)) console.log(line);
      done(EXIT_OK);
    });
}

/**
 * Sets both values through `registry`, yielding one line per value (`old ->
 * new`, or `already set`) as it goes, then a summary. Failures become
 * {@link CliError}s (see {@link setupError}).
 */
export function* setupLines(registry: RegistryAccess, seconds: number): Generator<string> {
  let settings;
  try {
    settings = readSettings(registry);
  } catch (error) {
    throw setupError(error, "read");
  }
  let changed = 0;
  for (const change of planSetup(settings, seconds)) {
    if (!change.changed) {
      yield `${change.path}: already set to ${change.after}`;
      continue;
    }
    try {
      registry.write(change.key, change.name, change.value);
    } catch (error) {
      throw setupError(error, `write ${change.path}`);
    }
    changed++;
    yield `${change.path}: ${change.before} -> ${change.after}`;
  }
  yield changed === 0
    ? `Nothing changed: the container's processes already get ${seconds} s at docker stop`
    : `The container's processes now get ${seconds} s at docker stop`;
  if (!settings.inContainer) {
    yield "Note: there is no cexecsvc service here, so this is not a Windows container; " +
      "these values only matter inside one (run agent setup in the image's Dockerfile)";
  }
}

/** A registry failure as the CLI reports it: access denied exits 77, anything else 1. */
export function setupError(error: unknown, what: string): CliError {
  if (error instanceof Win32Error && error.code === ERROR_ACCESS_DENIED) {
    return new CliError(
      `Cannot ${what}: access is denied (error 5). agent setup writes HKLM: run it as ` +
        `ContainerAdministrator (in the Dockerfile: USER ContainerAdministrator before the RUN; ` +
        `nanoserver images run as ContainerUser by default) or as an administrator`,
      EXIT_NO_PERMISSION,
    );
  }
  return new CliError(`Cannot ${what}: ${errorText(error)}`, EXIT_FAILED);
}
