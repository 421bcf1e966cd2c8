/**
 * Delivering a console control event to another process the way Windows
 * itself does it: a thread started in the target at kernelbase's
 * `CtrlRoutine`, with the event number as its parameter. The target runs its
 * handler chain (last registered first) exactly as for a real event, and
 * needs no console of its own, nor to share one with the agent.
 *
 * `CtrlRoutine` is found in the agent's own kernelbase.dll: system DLLs load at
 * the same address in every 64-bit process of a boot session, so the address
 * is valid in the target. A 32-bit (WOW64) target has another kernelbase, and
 * is refused ("unsupported") rather than crashed.
 *
 * @module
 */

import type { EventName } from "../../config/types.ts";
import { DeliveryError } from "../types.ts";
import {
  closeHandle,
  cstr,
  CTRL_BREAK_EVENT,
  CTRL_C_EVENT,
  CTRL_CLOSE_EVENT,
  CTRL_EVENT_NAMES,
  CTRL_LOGOFF_EVENT,
  CTRL_SHUTDOWN_EVENT,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_PARAMETER,
  errorText,
  kernel32,
  PROCESS_REMOTE_THREAD_RIGHTS,
  STILL_ACTIVE,
  wstr,
} from "./kernel32.ts";

/** The console control event number of each event. */
export const CTRL_EVENTS: Readonly<Record<EventName, number>> = {
  "ctrl-c": CTRL_C_EVENT,
  "ctrl-break": CTRL_BREAK_EVENT,
  "close": CTRL_CLOSE_EVENT,
  "logoff": CTRL_LOGOFF_EVENT,
  "shutdown": CTRL_SHUTDOWN_EVENT,
};

/** The event of each console control event number. */
export const EVENTS_BY_NUMBER: Readonly<Record<number, EventName>> = Object.fromEntries(
  Object.entries(CTRL_EVENTS).map(([name, number]) => [number, name as EventName]),
);

/** `CTRL_SHUTDOWN_EVENT` etc. */
export function nativeName(event: EventName): string {
  return CTRL_EVENT_NAMES[CTRL_EVENTS[event]];
}

let ctrlRoutine: Deno.PointerValue | undefined;

/** The address of `CtrlRoutine` (kernelbase.dll; kernel32.dll before Windows 7). */
function findCtrlRoutine(): Deno.PointerValue {
  if (ctrlRoutine) return ctrlRoutine;
  const k = kernel32();
  for (const dll of ["kernelbase.dll", "kernel32.dll"]) {
    const module = k.GetModuleHandleW(wstr(dll));
    if (!module) continue;
    const address = k.GetProcAddress(module, cstr("CtrlRoutine"));
    if (address) return ctrlRoutine = address;
  }
  throw new DeliveryError("unsupported", "CtrlRoutine was not found in kernelbase.dll");
}

/**
 * Delivers console control event number `ctrlEvent` to process `pid`, waiting
 * up to `waitMs` for the handler thread (a held handler keeps running after
 * that; this is not an error). Throws {@link DeliveryError}.
 */
export function deliverCtrlEvent(pid: number, ctrlEvent: number, waitMs = 20): void {
  const k = kernel32();
  const what = CTRL_EVENT_NAMES[ctrlEvent] ?? `console event ${ctrlEvent}`;
  if (!Number.isInteger(pid) || pid <= 0 || pid > 0xffffffff) {
    throw new DeliveryError("not-found", `No process with id ${pid}`);
  }
  const routine = findCtrlRoutine();
  const process = k.OpenProcess(PROCESS_REMOTE_THREAD_RIGHTS, 0, pid);
  if (!process) {
    const code = k.GetLastError();
    if (code === ERROR_INVALID_PARAMETER) {
      throw new DeliveryError("not-found", `No process with id ${pid}`);
    }
    throw failure(code, what, pid);
  }
  try {
    const exitCode = new Uint32Array(1);
    if (k.GetExitCodeProcess(process, exitCode) && exitCode[0] !== STILL_ACTIVE) {
      throw new DeliveryError("not-found", `Process ${pid} has already exited`);
    }
    const wow64 = new Int32Array(1);
    if (k.IsWow64Process(process, wow64) && wow64[0] !== 0) {
      throw new DeliveryError(
        "unsupported",
        `Process ${pid} is a 32-bit process; ${what} cannot be delivered to it`,
      );
    }
    const thread = k.CreateRemoteThread(
      process,
      null,
      0n,
      routine,
      Deno.UnsafePointer.create(BigInt(ctrlEvent)),
      0,
      null,
    );
    if (!thread) throw failure(k.GetLastError(), what, pid);
    if (waitMs > 0) k.WaitForSingleObject(thread, waitMs);
    closeHandle(thread);
  } finally {
    closeHandle(process);
  }
}

function failure(code: number, what: string, pid: number): DeliveryError {
  if (code === ERROR_ACCESS_DENIED) {
    return new DeliveryError(
      "denied",
      `Not allowed to deliver ${what} to process ${pid}: ${errorText(code)} (error ${code})`,
    );
  }
  return new DeliveryError(
    "denied",
    `Could not deliver ${what} to process ${pid}: ${errorText(code)} (error ${code})`,
  );
}

/** {@link Platform.deliver}: delivers `event` to `pid`. Throws {@link DeliveryError}. */
export function deliver(pid: number, event: EventName): void {
  const ctrlEvent = CTRL_EVENTS[event];
  if (ctrlEvent === undefined) {
    throw new DeliveryError("unsupported", `Event "${event}" has no console control event`);
  }
  deliverCtrlEvent(pid, ctrlEvent);
}
