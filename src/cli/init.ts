/**
 * `agent init [FILE] [--force]`: write a commented starter `agent.yaml`.
 *
 * @module
 */

import type { Command } from "commander";
import { dirname, join } from "node:path";
import { configJsonSchema } from "../config/mod.ts";
import { EXIT_FAILED, EXIT_OK } from "../exit_codes.ts";
import { CliError } from "./common.ts";

/** The starter configuration `agent init` writes. It is valid as it stands. */
export const STARTER_CONFIG = `# yaml-language-server: $schema=agent.schema.json
# Configuration of the shutdown agent. Check it with: agent check -c agent.yaml
# agent.schema.json (written beside this file) gives editors completion for every key.
version: 1

# The whole cleanup must end within this, counted from the first event.
# Keep it below the platform's own limit (Windows containers: ProcessShutdownTimeoutSeconds).
budget: 30s

# Events that start the shutdown. On Linux/macOS: shutdown=SIGTERM, ctrl-c=SIGINT,
# close=SIGHUP, ctrl-break=SIGQUIT (logoff has no signal there).
events: [shutdown, close, logoff, ctrl-c, ctrl-break]

log:
  format: text           # text | json (one JSON object per line)
  # file: shutdown.log   # every record is also appended here

# Supervisor mode: the agent starts your app and stops it after the "before" steps.
# main:
#   command: [my-app, --port, "8080"]
#   stop_event: ctrl-c   # what the app receives (default: the event the agent got)
#   grace: 10s           # then its whole process tree is killed

steps:
  - name: announce
    run: echo "shutting down"
    timeout: 5s          # default: what is left of the budget
    # when: before       # before | after stopping the main app
    # continue_on_error: true
    # shell: dax         # dax (cross-platform) | cmd | powershell | pwsh | sh | bash
    # env: { KEY: value }
    # cwd: /srv
  # - parallel:          # members run at the same time
  #     - { name: flush-logs, run: "echo flushing" }
  #     - { name: save-state, run: "echo saving" }
`;

/** Adds the `init` subcommand; `report` receives the exit code. */
export function registerInit(program: Command, report: (code: number) => void): void {
  program
    .command("init")
    .description(
      "Write a commented starter configuration, and agent.schema.json beside it for editors",
    )
    .argument("[file]", "where to write it", "agent.yaml")
    .option("-f, --force", "overwrite an existing file")
    .action(async (file: string, opts: { force?: boolean }) => {
      try {
        await Deno.writeTextFile(file, STARTER_CONFIG, { createNew: !opts.force });
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) {
          throw new CliError(`${file} already exists; use --force to overwrite it`, EXIT_FAILED);
        }
        throw new CliError(`Cannot write ${file}: ${(error as Error).message}`, EXIT_FAILED);
      }
      console.log(`Wrote ${file}. Check it with: agent check -c ${file}`);
      const schema = join(dirname(file), "agent.schema.json");
      try {
        const text = JSON.stringify(configJsonSchema(), null, 2) + "\n";
        await Deno.writeTextFile(schema, text, { createNew: true });
        console.log(`Wrote ${schema} (editor completion for the config).`);
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) {
          console.error(`Could not write ${schema}: ${(error as Error).message}`);
        }
      }
      report(EXIT_OK);
    });
}
