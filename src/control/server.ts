/**
 * The agent's side of the control channel: a loopback listener that turns an
 * authorised `stop` request into a shutdown and answers when it has ended.
 *
 * @module
 */

import type { ControlFile } from "./file.ts";
import { writeControlFile } from "./file.ts";

/** The answer `agent stop` receives. */
export interface StopAnswer {
  /** The sequence's outcome. */
  outcome: string;
  /** The exit code the agent has decided on. */
  exit_code: number;
}

/** A running control server. */
export interface ControlServer {
  /** The control file's path. */
  readonly path: string;
  /** Stops listening and removes the control file. */
  close(): void;
}

/** Options of {@link startControlServer}. */
export interface ControlServerOptions {
  /** Where to write the control file. */
  path: string;
  /** Starts (or joins) the shutdown; resolves when it has ended. */
  onStop: () => Promise<StopAnswer>;
  /** Called when a request is refused (bad token, bad request). */
  onRefused: (reason: string) => void;
}

/** Listens on loopback and writes the control file. Throws when either fails. */
export function startControlServer(options: ControlServerOptions): ControlServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const token = randomToken();
  const content: ControlFile = {
    pid: Deno.pid,
    port: (listener.addr as Deno.NetAddr).port,
    token,
  };
  try {
    writeControlFile(options.path, content);
  } catch (error) {
    listener.close();
    throw error;
  }
  serve(listener, token, options);
  return {
    path: options.path,
    close() {
      try {
        listener.close();
      } catch { /* already closed */ }
      try {
        Deno.removeSync(options.path);
      } catch { /* already gone */ }
    },
  };
}

async function serve(
  listener: Deno.Listener,
  token: string,
  options: ControlServerOptions,
): Promise<void> {
  try {
    for await (const conn of listener) handle(conn, token, options);
  } catch {
    // The listener was closed.
  }
}

async function handle(conn: Deno.Conn, token: string, options: ControlServerOptions) {
  try {
    const request = await readLine(conn, 4096);
    let parsed: { token?: unknown; command?: unknown; wait?: unknown } | undefined;
    try {
      parsed = JSON.parse(request ?? "");
    } catch { /* refused below */ }
    if (typeof parsed?.token !== "string" || !sameSecret(parsed.token, token)) {
      options.onRefused("wrong or missing token");
      await write(conn, { error: "refused: wrong or missing token" });
      return;
    }
    if (parsed.command !== "stop") {
      options.onRefused(`unknown command ${JSON.stringify(parsed.command)}`);
      await write(conn, { error: "unknown command" });
      return;
    }
    const done = options.onStop();
    if (parsed.wait === false) {
      await write(conn, { accepted: true });
      return;
    }
    await write(conn, await done);
  } catch {
    // The caller went away; the shutdown goes on regardless.
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

async function readLine(conn: Deno.Conn, limit: number): Promise<string | undefined> {
  const buffer = new Uint8Array(limit);
  let length = 0;
  while (length < limit) {
    const n = await conn.read(buffer.subarray(length));
    if (n === null) break;
    length += n;
    const nl = buffer.subarray(0, length).indexOf(10);
    if (nl >= 0) return new TextDecoder().decode(buffer.subarray(0, nl));
  }
  return length > 0 ? new TextDecoder().decode(buffer.subarray(0, length)) : undefined;
}

async function write(conn: Deno.Conn, value: unknown): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(value) + "\n");
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two secrets in time that does not depend on where they differ. */
function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
