/**
 * The hidden top-level window that receives WM_QUERYENDSESSION and
 * WM_ENDSESSION (window_worker.ts), seen from the main isolate.
 *
 * @module
 */

import { pointerFrom, user32, WM_APP_GC, WM_CLOSE } from "./kernel32.ts";
import type { HoldCoordinator } from "./hold.ts";
import type { WorkerInit, WorkerMessage } from "./protocol.ts";

/** The worker module of the window. */
export const WINDOW_WORKER = new URL("./window_worker.ts", import.meta.url);

/** Whether the window could be created. */
export type WindowStatus =
  | { ok: true; hwnd: bigint; className: string }
  | { ok: false; reason: string };

/** The hidden session-end window. */
export class SessionWindow {
  readonly #worker: Worker;
  readonly #coordinator: HoldCoordinator;
  readonly #slot: number;
  #hwnd: bigint | undefined;
  #stopped = false;
  /** Settles when the window exists (or could not be created). */
  readonly status: Promise<WindowStatus>;

  /** Starts the window worker on `slot`, with window class `className`. */
  constructor(coordinator: HoldCoordinator, slot: number, className: string) {
    this.#coordinator = coordinator;
    this.#slot = slot;
    const { promise, resolve } = Promise.withResolvers<WindowStatus>();
    this.status = promise;
    this.#worker = new Worker(WINDOW_WORKER, { type: "module", name: "session-window" });
    this.#worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.type === "window") {
        this.#hwnd = message.hwnd;
        resolve({ ok: true, hwnd: message.hwnd, className });
        if (this.#stopped) this.stop();
      } else if (message.type === "error") {
        resolve({ ok: false, reason: message.message });
        this.#worker.terminate();
      } else {
        coordinator.receive(message, "window");
        if (message.type === "released" && this.#stopped) this.#close();
      }
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      resolve({ ok: false, reason: event.message });
    };
    const init: WorkerInit = { sab: coordinator.sab, slot, className };
    this.#worker.postMessage(init);
  }

  /** Test aid: a full garbage collection in the window worker (with `--expose-gc`). */
  collectGarbage(): void {
    if (this.#hwnd !== undefined) user32().PostMessageW(pointerFrom(this.#hwnd), WM_APP_GC, 0n, 0n);
  }

  /** Closes the window (ending the worker's message loop) once it holds nothing. */
  stop(): void {
    this.#stopped = true;
    if (!this.#coordinator.busy(this.#slot)) this.#close();
  }

  #close(): void {
    if (this.#hwnd === undefined) return;
    user32().PostMessageW(pointerFrom(this.#hwnd), WM_CLOSE, 0n, 0n);
    this.#hwnd = undefined;
    const worker = this.#worker;
    setTimeout(() => worker.terminate(), 100);
  }
}
