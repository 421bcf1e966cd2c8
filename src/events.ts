/**
 * Where an event enters the agent. The gate listens for every event from the
 * agent's first moment, before the configuration is even read, so that a stop
 * arriving during start-up is not lost. Once the agent is ready it opens the
 * gate: queued and later events of the configured kinds go to the agent; the
 * others get the OS default (Windows: the console handler passes them on;
 * POSIX: the agent exits 128+N, as the signal's default action would).
 *
 * @module
 */

import { EVENT_NAMES, type EventName } from "./config/types.ts";
import type { AgentEvent, EventHandler, ListenOptions, Platform } from "./platform/mod.ts";

/**
 * What the platform is given for an event the agent acts on: it never
 * settles, because the agent exits while the platform still holds the event
 * (Windows ends a process whose handler returns, with a code of its own).
 */
export const HOLD_UNTIL_EXIT: Promise<void> = new Promise(() => {});

/** What {@link openEventGate} returns. */
export interface EventGate {
  /** Resolves once events are caught. */
  readonly ready: Promise<void>;
  /**
   * Hands the configured `events` to `onEvent`, those that arrived early
   * first. Early events of other kinds get the OS default now.
   */
  open(events: readonly EventName[], onEvent: EventHandler, options?: ListenOptions): void;
}

/** Starts catching every event on `platform`. */
export function openEventGate(platform: Platform): EventGate {
  const early: AgentEvent[] = [];
  let route: EventHandler | undefined;
  const subscription = platform.listen(EVENT_NAMES, (event) => {
    if (route) return route(event);
    early.push(event);
    return HOLD_UNTIL_EXIT; // until the agent is ready, then exits
  });
  return {
    ready: subscription.ready,
    open(events, onEvent, options) {
      subscription.narrow(events, options);
      route = (event) => {
        if (events.includes(event.name)) return onEvent(event);
        options?.onPassed?.(event);
        platform.passOn(event);
        return HOLD_UNTIL_EXIT;
      };
      for (const event of early.splice(0)) route(event);
    },
  };
}
