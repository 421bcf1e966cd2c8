/**
 * The protocol between the main isolate and the handler workers (console
 * control handler, hidden window): the layout of the shared `Int32Array` and
 * the messages. Imported by both sides; no FFI, no side effects.
 *
 * A worker that holds an event:
 *   1. sets its slot's BUSY cell, bumps its SEQ cell (seq = new value),
 *   2. posts `{ type: "event", slot, event, seq, held: true }` to the main isolate,
 *   3. blocks its own thread with `Atomics.wait` until its RELEASE cell is >= seq,
 *      or until HOLD_LIMIT_MS have passed since the event arrived,
 *   4. clears BUSY, posts `{ type: "released", ... }` and returns to Windows.
 * The main isolate, when every handler promise of the round has settled,
 * stores each held slot's seq into its RELEASE cell and notifies.
 *
 * @module
 */

/** Cell: bit N set = console control event number N is held (configured). */
export const MASK = 0;
/** Cell: how long (ms) a worker holds an event at most before returning anyway. */
export const HOLD_LIMIT_MS = 1;
/** First cell of the slots. */
const SLOTS_BASE = 4;
/** Cells per slot. */
const SLOT_CELLS = 4;

/** Cell index of slot `slot`'s BUSY flag (1 while an event is held there). */
export const busyCell = (slot: number): number => SLOTS_BASE + slot * SLOT_CELLS;
/** Cell index of slot `slot`'s event counter. */
export const seqCell = (slot: number): number => SLOTS_BASE + slot * SLOT_CELLS + 1;
/** Cell index of slot `slot`'s release mark (the highest seq the main isolate released). */
export const releaseCell = (slot: number): number => SLOTS_BASE + slot * SLOT_CELLS + 2;

/** Byte length of the shared buffer for `slots` slots. */
export const sharedBytes = (slots: number): number =>
  (SLOTS_BASE + slots * SLOT_CELLS) * Int32Array.BYTES_PER_ELEMENT;

/** The default of `holdLimitMs`: 24 hours. */
export const DEFAULT_HOLD_LIMIT_MS = 24 * 60 * 60 * 1000;
/** The largest hold limit a cell can store (about 24.8 days). */
export const MAX_HOLD_LIMIT_MS = 0x7fffffff;

/** First message to every worker. */
export interface WorkerInit {
  /** The shared state. */
  sab: SharedArrayBuffer;
  /** The worker's slot. */
  slot: number;
  /** Window worker only: the window class name to register. */
  className?: string;
}

/** Test aid: asks a worker for a full garbage collection (with `--v8-flags=--expose-gc`). */
export const GC_REQUEST = "gc";

/** Runs `gc()` when the runtime exposes it (`--v8-flags=--expose-gc`). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Messages from a worker to the main isolate. */
export type WorkerMessage =
  /** Console worker: its callback exists; the main isolate registers `pointer`. */
  | { type: "callback"; slot: number; pointer: bigint }
  /** Window worker: the window exists; `hwnd` receives WM_CLOSE to stop it. */
  | { type: "window"; slot: number; hwnd: bigint }
  /** A worker could not start. */
  | { type: "error"; slot: number; message: string }
  /** An event arrived. `held`: the worker is holding it until released; else it was passed on. */
  | { type: "event"; slot: number; event: number; seq: number; held: boolean; detail: string }
  /** A held event was released (`timedOut`: the hold limit ran out first). */
  | { type: "released"; slot: number; seq: number; timedOut: boolean };

/**
 * Blocks the calling thread until the main isolate releases `seq` on `slot`,
 * or until `HOLD_LIMIT_MS` have passed since `startedAt`. Returns true when the
 * limit ran out.
 */
export function waitForRelease(
  state: Int32Array<SharedArrayBuffer>,
  slot: number,
  seq: number,
  startedAt: number,
): boolean {
  const deadline = startedAt + Atomics.load(state, HOLD_LIMIT_MS);
  for (;;) {
    const released = Atomics.load(state, releaseCell(slot));
    if (released >= seq) return false;
    const left = deadline - Date.now();
    if (left <= 0) return true;
    Atomics.wait(state, releaseCell(slot), released, left);
  }
}

/** The minimal typing of a worker's global scope used by the worker modules. */
export interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  onmessage: ((event: MessageEvent<WorkerInit | typeof GC_REQUEST>) => void) | null;
}

/**
 * The worker side of one event: when `event` is held (its MASK bit is set),
 * reports it, blocks this thread until the main isolate releases it (or the
 * hold limit runs out), and returns true; otherwise reports it as passed on
 * and returns false. Called on the thread Windows delivers the event on.
 */
export function holdEvent(
  scope: WorkerScope,
  state: Int32Array<SharedArrayBuffer>,
  report: { slot: number; event: number; detail: string },
): boolean {
  const { slot, event, detail } = report;
  const startedAt = Date.now();
  const held = event < 31 && (Atomics.load(state, MASK) & (1 << event)) !== 0;
  if (!held) {
    scope.postMessage({ type: "event", slot, event, seq: 0, held: false, detail });
    return false;
  }
  Atomics.store(state, busyCell(slot), 1);
  const seq = Atomics.add(state, seqCell(slot), 1) + 1;
  scope.postMessage({ type: "event", slot, event, seq, held: true, detail });
  const timedOut = waitForRelease(state, slot, seq, startedAt);
  Atomics.store(state, busyCell(slot), 0);
  scope.postMessage({ type: "released", slot, seq, timedOut });
  return true;
}
