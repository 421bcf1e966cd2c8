/**
 * The console control handler (SetConsoleCtrlHandler), held while the
 * shutdown runs. The callback lives in a small dedicated worker
 * (console_handler_worker.ts); the main isolate registers its pointer and
 * removes it on {@link ConsoleHandler.stop}.
 *
 * Order matters: Windows calls the handlers last-registered first, and the
 * first that returns TRUE ends the chain. Deno's own console handler
 * (installed by the first `Deno.addSignalListener("SIGINT" | "SIGBREAK")`)
 * returns at once, so on Windows the agent never calls
 * `Deno.addSignalListener`; if anything did so before these handlers were
 * registered, ours still run first (they are registered later). A Deno
 * signal listener added AFTER ours would run before ours.
 *
 * @module
 */

import { kernel32, lastError, pointerFrom } from "./kernel32.ts";
import type { HoldCoordinator } from "./hold.ts";
import { GC_REQUEST, type WorkerInit, type WorkerMessage } from "./protocol.ts";

/** The worker module of the console handler. */
export const CONSOLE_HANDLER_WORKER = new URL("./console_handler_worker.ts", import.meta.url);

/** The console control handler of the process. */
export class ConsoleHandler {
  readonly #coordinator: HoldCoordinator;
  readonly #slot: number;
  #worker: Worker | undefined;
  #pointer: bigint | undefined;
  #stopped = false;
  /** Resolves when the handler is registered (events are held from then on). */
  readonly ready: Promise<void>;

  /** Starts the worker that owns the callback for `slot`; see {@link ready}. */
  constructor(coordinator: HoldCoordinator, slot: number) {
    this.#coordinator = coordinator;
    this.#slot = slot;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.ready = promise;
    const worker = new Worker(CONSOLE_HANDLER_WORKER, { type: "module", name: "console-handler" });
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.type === "callback") {
        if (this.#stopped) return this.#terminateIdle();
        if (!kernel32().SetConsoleCtrlHandler(pointerFrom(message.pointer), 1)) {
          reject(lastError("SetConsoleCtrlHandler"));
          return;
        }
        this.#pointer = message.pointer;
        resolve();
      } else if (message.type === "error") {
        reject(new Error(`Console handler: ${message.message}`));
      } else {
        coordinator.receive(message, "console");
        if (message.type === "released" && this.#stopped) this.#terminateIdle();
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`Console handler worker failed: ${event.message}`));
    };
    const init: WorkerInit = { sab: coordinator.sab, slot };
    worker.postMessage(init);
  }

  /** Test aid: a full garbage collection in the worker (with `--expose-gc`). */
  collectGarbage(): void {
    this.#worker?.postMessage(GC_REQUEST);
  }

  /**
   * Removes the handler and ends the worker once it holds nothing. The
   * callback is never closed; its isolate ends with the worker, after Windows
   * can no longer call it. (SetConsoleCtrlHandler waits while an event is held:
   * release first.)
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#pointer !== undefined) {
      kernel32().SetConsoleCtrlHandler(pointerFrom(this.#pointer), 0);
      this.#pointer = undefined;
    }
    this.#terminateIdle();
  }

  #terminateIdle(): void {
    if (this.#coordinator.busy(this.#slot)) return;
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}
