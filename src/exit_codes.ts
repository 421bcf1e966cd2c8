/**
 * Every exit code the agent uses, in one place. The README documents them.
 *
 * In supervisor mode the agent exits with the app's own code instead (128+N
 * when the app died from signal N), like tini.
 *
 * @module
 */

/** Sidecar mode: every step succeeded. Other commands: success. */
export const EXIT_OK = 0;
/**
 * Sidecar mode: a step failed, timed out or was skipped. `trigger`: not
 * delivered. `doctor`: a problem was found. `setup`: the registry could not be written.
 */
export const EXIT_FAILED = 1;
/** Bad command line or invalid configuration. */
export const EXIT_USAGE = 2;
/** The agent itself failed (a bug): it logged the error and released its handler. */
export const EXIT_INTERNAL = 70;
/** `stop`: no running agent could be reached. */
export const EXIT_UNAVAILABLE = 69;
/**
 * `stop`: the caller may not use the agent's control channel. `setup`: the
 * registry (HKLM) may not be written (not ContainerAdministrator).
 */
export const EXIT_NO_PERMISSION = 77;
/** Supervisor mode: the app exists but cannot be executed. */
export const EXIT_NOT_EXECUTABLE = 126;
/** Supervisor mode: the app's command was not found. */
export const EXIT_NOT_FOUND = 127;

/** The shell's code for a program that could not be started: 127 not found, 126 otherwise. */
export function spawnFailureCode(error: unknown): number {
  return error instanceof Deno.errors.NotFound ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}
