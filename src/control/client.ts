/**
 * `agent stop`'s side of the control channel.
 *
 * @module
 */

import { readControlFile } from "./file.ts";

/** What a stop request got back. */
export type StopReply =
  | { accepted: true }
  | { outcome: string; exit_code: number };

/** Why a stop request failed: `unreachable` (no agent) or `refused` (not allowed). */
export class ControlError extends Error {
  /** The kind of failure. */
  readonly kind: "unreachable" | "refused";
  /** Creates the error. */
  constructor(kind: "unreachable" | "refused", message: string) {
    super(message);
    this.name = "ControlError";
    this.kind = kind;
  }
}

/**
 * Asks the agent whose control file is at `path` to shut down now. With
 * `wait`, resolves when its sequence has ended. Throws {@link ControlError}.
 */
export async function requestStop(path: string, options: { wait: boolean }): Promise<StopReply> {
  let file;
  try {
    file = readControlFile(path);
  } catch (error) {
    const refused = error instanceof Error && error.message.startsWith("Not allowed");
    throw new ControlError(refused ? "refused" : "unreachable", (error as Error).message);
  }
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port: file.port });
  } catch (error) {
    throw new ControlError(
      "unreachable",
      `No agent answers on port ${file.port} (pid ${file.pid}): ${(error as Error).message}`,
    );
  }
  try {
    const request = JSON.stringify({ token: file.token, command: "stop", wait: options.wait });
    await conn.write(new TextEncoder().encode(request + "\n"));
    let text = "";
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
      if (text.includes("\n")) break;
    }
    if (!text.trim()) {
      throw new ControlError("unreachable", "The agent closed the connection without an answer");
    }
    const reply = JSON.parse(text);
    if (typeof reply.error === "string") throw new ControlError("refused", `Agent: ${reply.error}`);
    return reply;
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}
