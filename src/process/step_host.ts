/**
 * The step host: `agent __step SCRIPT` runs one dax script and exits with its
 * code. It exists so that a dax step, like any other, runs in a process
 * boundary of its own that the agent can end with all its descendants.
 *
 * @module
 */

/** Runs `script` with dax's cross-platform shell; resolves to its exit code. */
export async function runStepHost(script: string): Promise<number> {
  const { CommandBuilder } = await import("dax");
  const result = await new CommandBuilder()
    .command(script)
    .stdin("null")
    .noThrow();
  return result.code;
}
