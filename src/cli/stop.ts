/**
 * `agent stop [--wait] [--control FILE]`: ask the running agent to shut down
 * now, for a Kubernetes preStop hook or by hand.
 *
 * @module
 */

import type { Command } from "commander";
import { ControlError, controlFilePath, requestStop } from "../control/mod.ts";
import { EXIT_FAILED, EXIT_NO_PERMISSION, EXIT_OK, EXIT_UNAVAILABLE } from "../exit_codes.ts";
import { CliError } from "./common.ts";

/** Adds the `stop` subcommand; `done` receives the exit code. */
export function registerStop(program: Command, done: (code: number) => void): void {
  program
    .command("stop")
    .description(
      "Ask the running agent to start its shutdown now (preStop hooks). With --wait, wait " +
        "for it to end: exit 0 when every step succeeded, 1 otherwise",
    )
    .option("-w, --wait", "wait until the shutdown sequence has ended")
    .option("--control <file>", "the agent's control file (default: $SHUTDOWN_AGENT_CONTROL)")
    .action(async (opts: { wait?: boolean; control?: string }) => {
      const path = controlFilePath(opts.control);
      let reply;
      try {
        reply = await requestStop(path, { wait: opts.wait ?? false });
      } catch (error) {
        if (!(error instanceof ControlError)) throw error;
        throw new CliError(
          error.message,
          error.kind === "refused" ? EXIT_NO_PERMISSION : EXIT_UNAVAILABLE,
        );
      }
      if ("accepted" in reply) {
        console.log("The agent is shutting down");
        done(EXIT_OK);
        return;
      }
      console.log(`The agent's shutdown ended: ${reply.outcome} (exit code ${reply.exit_code})`);
      done(reply.outcome === "ok" ? EXIT_OK : EXIT_FAILED);
    });
}
