/**
 * How the agent starts another copy of itself (the step host). A compiled
 * agent is one executable; under `deno run` it is Deno plus this module graph.
 *
 * @module
 */

/** The hidden subcommand that runs one `shell: dax` step in a process of its own. */
export const STEP_HOST_COMMAND = "__step";

/** The argv prefix that starts this agent again. */
export function selfArgv(): string[] {
  if (Deno.build.standalone) return [Deno.execPath()];
  return [Deno.execPath(), "run", "-A", "--quiet", "--no-prompt", Deno.mainModule];
}
