/**
 * The agent's entry point: wires the command line, nothing else.
 *
 * Two things happen before the command line is even loaded: `agent __step`
 * (the internal step host, see src/process/step_host.ts) is dispatched so that
 * steps start fast, and `agent run` starts catching events (src/events.ts), so
 * that a stop arriving while the agent loads is not lost.
 *
 * @module
 */

import { STEP_HOST_COMMAND } from "./src/process/self.ts";

if (Deno.args[0] === STEP_HOST_COMMAND) {
  const { runStepHost } = await import("./src/process/step_host.ts");
  Deno.exit(await runStepHost(Deno.args[1] ?? ""));
}

let early = {};
if (Deno.args[0] === "run") {
  const { currentPlatform } = await import("./src/platform/mod.ts");
  const { openEventGate } = await import("./src/events.ts");
  const platform = await currentPlatform();
  early = { platform, gate: openEventGate(platform) };
}
const { main } = await import("./src/cli/mod.ts");
Deno.exit(await main(Deno.args, early));
