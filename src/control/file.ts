/**
 * The control file: where a running agent's control channel is, and the token
 * that proves a caller may use it.
 *
 * @module
 */

import { join } from "node:path";
import { tmpdir } from "node:os";

/** Environment variable that names the control file. */
export const CONTROL_ENV_VAR = "SHUTDOWN_AGENT_CONTROL";

/** What the control file holds. */
export interface ControlFile {
  /** The agent's process id. */
  pid: number;
  /** The loopback port it listens on. */
  port: number;
  /** The secret a request must carry. */
  token: string;
}

/**
 * The control file's path: `--control`, else `$SHUTDOWN_AGENT_CONTROL`, else
 * `shutdown-agent.control.json` in the user's temp folder.
 */
export function controlFilePath(explicit?: string): string {
  return explicit || Deno.env.get(CONTROL_ENV_VAR) || join(tmpdir(), "shutdown-agent.control.json");
}

/** Writes the control file so that only the current user can read it (POSIX mode 0600). */
export function writeControlFile(path: string, content: ControlFile): void {
  try {
    Deno.removeSync(path);
  } catch { /* not there */ }
  // createNew + mode: the file never exists with wider permissions, not even briefly.
  Deno.writeTextFileSync(path, JSON.stringify(content) + "\n", { createNew: true, mode: 0o600 });
}

/** Reads and checks a control file. Throws with a one-line message. */
export function readControlFile(path: string): ControlFile {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`No running agent: ${path} does not exist`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new Error(`Not allowed to read ${path}: only the agent's user may stop it`);
    }
    throw error;
  }
  const data = JSON.parse(text);
  if (
    typeof data?.port !== "number" || typeof data?.token !== "string" ||
    typeof data?.pid !== "number"
  ) {
    throw new Error(`${path} is not an agent control file`);
  }
  return data;
}
