/**
 * The main isolate's side of the hold protocol (see protocol.ts): the shared
 * state, which events are held, and when held handler threads are released.
 *
 * Every held event is passed to the platform {@link EventHandler}; when every
 * promise it returned so far has settled, every slot held so far is released
 * at once. So a repeat event reported during the shutdown (the core logs it
 * and its promise settles with the first one) returns together with the
 * first one, never earlier. Which repeats can be reported during a hold: a
 * window event during a console hold and vice versa. A second CONSOLE event
 * waits at Windows' console lock (see console_handler_worker.ts) and is
 * reported only after the release.
 *
 * @module
 */

import type { AgentEvent, EventHandler, EventSourceKind } from "../types.ts";
import type { EventName } from "../../config/types.ts";
import { CTRL_EVENTS, EVENTS_BY_NUMBER } from "./deliver.ts";
import {
  busyCell,
  DEFAULT_HOLD_LIMIT_MS,
  HOLD_LIMIT_MS,
  MASK,
  MAX_HOLD_LIMIT_MS,
  releaseCell,
  sharedBytes,
  type WorkerMessage,
} from "./protocol.ts";

/** Called for events that are not held (not configured): they go on to the next handler. */
export type PassedHandler = (event: AgentEvent) => void;

/** Called when a held event was released by the hold limit, not by the end of the shutdown. */
export type HoldTimeoutHandler = (event: AgentEvent) => void;

/** The main isolate's side of the hold protocol. */
export class HoldCoordinator {
  /** The shared state (see protocol.ts). */
  readonly sab: SharedArrayBuffer;
  readonly #state: Int32Array<SharedArrayBuffer>;
  #handler: EventHandler | undefined;
  #pending = 0;
  #held: { slot: number; seq: number }[] = [];
  #events = new Map<string, AgentEvent>();
  /** See {@link PassedHandler}. */
  onPassed: PassedHandler | undefined;
  /** See {@link HoldTimeoutHandler}. */
  onHoldTimeout: HoldTimeoutHandler | undefined;

  /** Creates the state for `slots` slots. */
  constructor(slots: number, holdLimitMs: number = DEFAULT_HOLD_LIMIT_MS) {
    this.sab = new SharedArrayBuffer(sharedBytes(slots));
    this.#state = new Int32Array(this.sab);
    this.setHoldLimit(holdLimitMs);
  }

  /** How long a handler thread is held at most (ms); applies to events from now on. */
  setHoldLimit(ms: number): void {
    const value = Math.max(0, Math.min(MAX_HOLD_LIMIT_MS, Math.round(ms)));
    Atomics.store(this.#state, HOLD_LIMIT_MS, value);
  }

  /** Holds `events` and passes them to `handler`. */
  activate(events: readonly EventName[], handler: EventHandler): void {
    this.#handler = handler;
    let mask = 0;
    for (const name of events) mask |= 1 << CTRL_EVENTS[name];
    Atomics.store(this.#state, MASK, mask);
  }

  /** Holds nothing any more, and releases whatever is held. */
  deactivate(): void {
    Atomics.store(this.#state, MASK, 0);
    this.#handler = undefined;
    this.#releaseAll();
  }

  /** Handles an `event` or `released` message of a worker. */
  receive(message: WorkerMessage, source: EventSourceKind): void {
    if (message.type === "released") {
      const key = `${message.slot}:${message.seq}`;
      const event = this.#events.get(key);
      this.#events.delete(key);
      if (message.timedOut && event) this.onHoldTimeout?.(event);
      return;
    }
    if (message.type !== "event") return;
    const name = EVENTS_BY_NUMBER[message.event];
    const event: AgentEvent = { name, source, detail: message.detail };
    if (!message.held || name === undefined) {
      this.onPassed?.(event);
      return;
    }
    this.#events.set(`${message.slot}:${message.seq}`, event);
    this.#held.push({ slot: message.slot, seq: message.seq });
    const handler = this.#handler;
    if (!handler) {
      this.#releaseAll();
      return;
    }
    this.#pending++;
    let settled: Promise<void>;
    try {
      settled = Promise.resolve(handler(event));
    } catch (error) {
      settled = Promise.reject(error);
    }
    settled.catch(() => {}).finally(() => {
      if (--this.#pending === 0) this.#releaseAll();
    });
  }

  #releaseAll(): void {
    for (const { slot, seq } of this.#held.splice(0)) {
      const cell = releaseCell(slot);
      if (Atomics.load(this.#state, cell) < seq) Atomics.store(this.#state, cell, seq);
      Atomics.notify(this.#state, cell);
    }
  }

  /** Whether slot `slot` is holding an event now. */
  busy(slot: number): boolean {
    return Atomics.load(this.#state, busyCell(slot)) !== 0;
  }
}
