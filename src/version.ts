/**
 * The agent's version, stamped here (the build reads it too).
 *
 * @module
 */

/** The agent's semantic version. */
export const VERSION = "0.1.0";

/** `agent X.Y.Z (deno A.B.C, os-arch)`, as `--version` prints it. */
export function versionLine(): string {
  return `agent ${VERSION} (deno ${Deno.version.deno}, ${Deno.build.os}-${Deno.build.arch})`;
}
