/**
 * The command line: one subcommand per file, wired here. Every failure ends as
 * a one-line message and a documented exit code, never a stack trace.
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from "../exit_codes.ts";
import type { EventGate } from "../events.ts";
import { errorText } from "../log/mod.ts";
import type { Platform } from "../platform/mod.ts";
import { versionLine } from "../version.ts";
import { registerCheck } from "./check.ts";
import { registerDoctor } from "./doctor.ts";
import { CliError } from "./common.ts";
import { registerInit } from "./init.ts";
import { registerRun } from "./run.ts";
import { registerSchema } from "./schema.ts";
import { registerSetup } from "./setup.ts";
import { registerSimulate } from "./simulate.ts";
import { registerStop } from "./stop.ts";
import { registerTrigger } from "./trigger.ts";

/** What main.ts may have set up before the command line was loaded. */
export interface EarlyStart {
  /** The platform, already loaded. */
  platform?: Platform;
  /** The event gate, already catching events (for `run`). */
  gate?: EventGate;
}

/** Runs the command line `args` (without the program name); resolves to the exit code. */
export async function main(args: readonly string[], early: EarlyStart = {}): Promise<number> {
  let exitCode = EXIT_OK;
  const report = (code: number) => {
    exitCode = code;
  };
  const program = new Command("agent")
    .description("Graceful shutdown for containers: hold the shutdown until cleanup has run.")
    .version(versionLine(), "-V, --version", "print the version")
    .helpCommand(true)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void Deno.stdout.writeSync(new TextEncoder().encode(text)),
      writeErr: (text) => void Deno.stderr.writeSync(new TextEncoder().encode(text)),
    });
  registerRun(program, report, early);
  registerCheck(program, report);
  registerSimulate(program, report);
  registerTrigger(program, report);
  registerStop(program, report);
  registerSetup(program, report);
  registerDoctor(program, report);
  registerSchema(program, report);
  registerInit(program, report);

  try {
    await program.parseAsync([...args], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok = error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
        error.code === "commander.help";
      return ok ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof CliError) {
      console.error(error.message);
      return error.exitCode;
    }
    console.error(`Internal error: ${errorText(error)}`);
    return EXIT_INTERNAL;
  }
}
