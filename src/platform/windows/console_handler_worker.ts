/**
 * Worker module: owns ONE console control handler callback (a "slot").
 *
 * Windows calls a HandlerRoutine on a thread of its own. A
 * `Deno.UnsafeCallback.threadSafe` callback runs its JavaScript on the isolate
 * that created it and blocks the calling thread until it returns; this worker
 * is that isolate, so blocking it (Atomics.wait) holds the Windows thread
 * without blocking the main isolate, which runs the shutdown sequence.
 *
 * The callback object is kept referenced for the life of the worker and is
 * never closed: Windows may call its pointer at any time while registered.
 * The main isolate registers the pointer (SetConsoleCtrlHandler) and removes
 * it before it terminates this worker.
 *
 * Windows (kernelbase's CtrlRoutine; ReactOS and Wine do the same) calls the
 * handler chain while holding the process's console lock. A second event that
 * arrives during a hold therefore waits at that lock and reaches this callback
 * only after the first was released; it is then reported like any event (the
 * shutdown is over by then). SetConsoleCtrlHandler takes the same lock, so it
 * blocks while an event is held.
 *
 * @module
 */

import { CTRL_EVENT_NAMES } from "./kernel32.ts";
import {
  collectGarbage,
  GC_REQUEST,
  holdEvent,
  type WorkerInit,
  type WorkerScope,
} from "./protocol.ts";

const scope = self as unknown as WorkerScope;

/** Kept for the life of the worker (never closed, never collected). */
const keep: { callback?: unknown } = {};
(globalThis as Record<string, unknown>).__agentConsoleHandler = keep;

scope.onmessage = (message) => {
  if (message.data === GC_REQUEST) return; // not initialised yet
  const { sab, slot } = message.data as WorkerInit;
  const state = new Int32Array(sab);
  // From now on the only message is the test aid GC_REQUEST.
  scope.onmessage = (request) => {
    if (request.data === GC_REQUEST) collectGarbage();
  };
  try {
    const callback = Deno.UnsafeCallback.threadSafe(
      { parameters: ["u32"], result: "i32" } as const,
      (event: number): number => {
        const detail = CTRL_EVENT_NAMES[event] ?? `console event ${event}`;
        // TRUE: handled; FALSE: the next handler (finally the default one) gets it.
        return holdEvent(scope, state, { slot, event, detail }) ? 1 : 0;
      },
    );
    keep.callback = callback;
    const pointer = BigInt(Deno.UnsafePointer.value(callback.pointer));
    scope.postMessage({ type: "callback", slot, pointer });
  } catch (error) {
    scope.postMessage({ type: "error", slot, message: String(error) });
  }
};
