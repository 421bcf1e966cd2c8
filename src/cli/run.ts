/**
 * `agent run [-c FILE] [--log-format F] [-- COMMAND ARGS...]`: register for
 * the events and wait; with a command (or `main.command`), supervise it.
 *
 * @module
 */

import type { Command } from "commander";
import { controlFilePath } from "../control/mod.ts";
import type { EventGate } from "../events.ts";
import type { Platform } from "../platform/mod.ts";
import { runShutdown, type ShutdownCliOptions } from "./shutdown.ts";

/** Adds the `run` subcommand; `done` receives the exit code. */
export function registerRun(
  program: Command,
  done: (code: number) => void,
  early: { platform?: Platform; gate?: EventGate } = {},
): void {
  program
    .command("run")
    .description(
      "Wait for a shutdown event, then run the cleanup steps. With a command, start it " +
        "and stop it in order (supervisor mode), exiting with its code.",
    )
    .argument("[command...]", "the app to supervise (after --); overrides main.command")
    .option("-c, --config <file>", "configuration file")
    .option("--log-format <format>", "text or json (overrides log.format)")
    .option("--report <file>", "write the shutdown timeline to FILE.svg or FILE.json")
    .option("--control <file>", "control file for agent stop (default: $SHUTDOWN_AGENT_CONTROL)")
    .action(async (command: string[], opts: ShutdownCliOptions & { control?: string }) => {
      const { outcome } = await runShutdown(command, opts, {
        ...early,
        controlPath: controlFilePath(opts.control),
        fitPlatformLimit: true,
      });
      done(outcome.exitCode);
    });
}
