/**
 * The agent's entry point: wires the command line, nothing else.
 *
 * `agent __step SCRIPT` is the internal step host (see src/process/step_host.ts);
 * it is dispatched before the CLI is loaded so that steps start fast.
 *
 * @module
 */

import { STEP_HOST_COMMAND } from "./src/process/self.ts";

if (Deno.args[0] === STEP_HOST_COMMAND) {
  const { runStepHost } = await import("./src/process/step_host.ts");
  Deno.exit(await runStepHost(Deno.args[1] ?? ""));
}
const { main } = await import("./src/cli/mod.ts");
Deno.exit(await main(Deno.args));
