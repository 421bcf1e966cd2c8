/**
 * `agent schema`: print the JSON Schema of `agent.yaml`, for editors.
 *
 * @module
 */

import type { Command } from "commander";
import { configJsonSchema } from "../config/mod.ts";
import { EXIT_OK } from "../exit_codes.ts";

/** Adds the `schema` subcommand; `report` receives the exit code. */
export function registerSchema(program: Command, report: (code: number) => void): void {
  program
    .command("schema")
    .description("Print the JSON Schema of the configuration file")
    .action(() => {
      console.log(JSON.stringify(configJsonSchema(), null, 2));
      report(EXIT_OK);
    });
}
