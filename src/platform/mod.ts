/**
 * The platform layer's public face: the interface, and the implementation for
 * the OS the agent runs on. The Windows module (FFI to kernel32) is only
 * loaded on Windows.
 *
 * @module
 */

import type { Platform } from "./types.ts";

export {
  type AgentEvent,
  DeliveryError,
  type DeliveryFailure,
  type EventHandler,
  type EventSourceKind,
  type ExitStatus,
  type ListenOptions,
  type ManagedProcess,
  type Platform,
  type ShutdownLimit,
  type SpawnOptions,
  type Subscription,
} from "./types.ts";

/** The platform of the running OS. */
export async function currentPlatform(): Promise<Platform> {
  if (Deno.build.os === "windows") {
    const { windowsPlatform } = await import("./windows/mod.ts");
    return windowsPlatform();
  }
  const { posixPlatform } = await import("./posix.ts");
  return posixPlatform;
}
