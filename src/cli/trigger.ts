/**
 * `agent trigger [--event NAME] PID`: deliver an event to a process, the way
 * the platform would (POSIX: the mapped signal; Windows: CtrlRoutine).
 *
 * @module
 */

import type { Command } from "commander";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "../exit_codes.ts";
import { currentPlatform, DeliveryError } from "../platform/mod.ts";
import { CliError, parseEventName } from "./common.ts";

/** Adds the `trigger` subcommand; `report` receives the exit code. */
export function registerTrigger(program: Command, report: (code: number) => void): void {
  program
    .command("trigger")
    .description("Deliver an event to a process (exit 0 delivered, 1 not)")
    .argument("<pid>", "the process id")
    .option("-e, --event <name>", "the event to deliver", "shutdown")
    .action(async (pidText: string, opts: { event: string }) => {
      const event = parseEventName(opts.event);
      if (!/^[1-9][0-9]*$/.test(pidText) || Number(pidText) > 2 ** 31 - 1) {
        throw new CliError(
          `Process id must be a positive whole number, not "${pidText}"`,
          EXIT_USAGE,
        );
      }
      const pid = Number(pidText);
      const platform = await currentPlatform();
      try {
        platform.deliver(pid, event);
      } catch (error) {
        if (!(error instanceof DeliveryError)) throw error;
        throw new CliError(error.message, error.kind === "unsupported" ? EXIT_USAGE : EXIT_FAILED);
      }
      console.log(`Delivered ${event} (${platform.nativeName(event)}) to process ${pid}`);
      report(EXIT_OK);
    });
}
