/**
 * Worker module: a hidden top-level window (not a message-only window: those
 * receive no broadcasts) whose window procedure answers the session-end
 * messages:
 * - WM_QUERYENDSESSION: returns TRUE (the session may end);
 * - WM_ENDSESSION with wParam TRUE: reports `shutdown` (or `logoff`, when
 *   lParam has ENDSESSION_LOGOFF) to the main isolate and, when that event is
 *   held, returns only when the main isolate releases it (same protocol as the
 *   console handler), since Windows may end the process once it returns.
 *
 * The window procedure is called on this worker's own thread, from inside
 * GetMessageW / DispatchMessageW (synchronous FFI calls), so it is a plain
 * `Deno.UnsafeCallback`, kept referenced and never closed. The message loop
 * blocks this worker's thread for good; the main isolate stops it by posting
 * WM_CLOSE to the window.
 *
 * @module
 */

import {
  ENDSESSION_LOGOFF,
  kernel32,
  MSG_SIZE,
  pointerValue,
  user32,
  WM_APP_GC,
  WM_CLOSE,
  WM_DESTROY,
  WM_ENDSESSION,
  WM_QUERYENDSESSION,
  WNDCLASSEXW,
  wstr,
} from "./kernel32.ts";
import { collectGarbage, holdEvent, type WorkerInit, type WorkerScope } from "./protocol.ts";

const scope = self as unknown as WorkerScope;

/** Kept for the life of the worker (never closed, never collected). */
const keep: { windowProc?: unknown; className?: Uint16Array } = {};
(globalThis as Record<string, unknown>).__agentWindowProc = keep;

scope.onmessage = (message) => {
  const { sab, slot, className } = message.data as WorkerInit;
  scope.onmessage = null;
  const state = new Int32Array(sab);
  try {
    const u = user32();
    const windowProc = new Deno.UnsafeCallback(
      { parameters: ["pointer", "u32", "usize", "isize"], result: "isize" } as const,
      (hwnd, msg, wParam, lParam): bigint => {
        if (msg === WM_QUERYENDSESSION) return 1n;
        if (msg === WM_APP_GC) {
          collectGarbage(); // test aid, see SessionWindow.collectGarbage
          return 0n;
        }
        if (msg === WM_ENDSESSION) {
          if (BigInt(wParam) !== 0n) endSession(BigInt(lParam));
          return 0n;
        }
        if (msg === WM_CLOSE) {
          u.DestroyWindow(hwnd);
          return 0n;
        }
        if (msg === WM_DESTROY) {
          u.PostQuitMessage(0);
          return 0n;
        }
        return u.DefWindowProcW(hwnd, msg, wParam, lParam);
      },
    );
    keep.windowProc = windowProc;

    const endSession = (lParam: bigint) => {
      const logoff = (lParam & BigInt(ENDSESSION_LOGOFF)) !== 0n;
      const event = logoff ? 5 : 6;
      const detail = logoff ? "WM_ENDSESSION (ENDSESSION_LOGOFF)" : "WM_ENDSESSION";
      holdEvent(scope, state, { slot, event, detail });
    };

    const name = wstr(className ?? `GracefulShutdownAgent.${Deno.pid}`);
    keep.className = name;
    const hInstance = kernel32().GetModuleHandleW(null);
    const wc = new Uint8Array(WNDCLASSEXW.size);
    const view = new DataView(wc.buffer);
    view.setUint32(WNDCLASSEXW.cbSize, WNDCLASSEXW.size, true);
    view.setBigUint64(WNDCLASSEXW.lpfnWndProc, pointerValue(windowProc.pointer), true);
    view.setBigUint64(WNDCLASSEXW.hInstance, pointerValue(hInstance), true);
    view.setBigUint64(
      WNDCLASSEXW.lpszClassName,
      pointerValue(Deno.UnsafePointer.of(name)),
      true,
    );
    if (!u.RegisterClassExW(wc)) {
      throw new Error(`RegisterClassExW failed (error ${kernel32().GetLastError()})`);
    }
    // Top-level (no parent, not HWND_MESSAGE), never shown.
    const hwnd = u.CreateWindowExW(
      0,
      name,
      wstr("graceful-shutdown agent"),
      0,
      0,
      0,
      0,
      0,
      null,
      null,
      hInstance,
      null,
    );
    if (!hwnd) throw new Error(`CreateWindowExW failed (error ${kernel32().GetLastError()})`);
    scope.postMessage({ type: "window", slot, hwnd: pointerValue(hwnd) });

    const msg = new Uint8Array(MSG_SIZE);
    while (u.GetMessageW(msg, null, 0, 0) > 0) {
      u.TranslateMessage(msg);
      u.DispatchMessageW(msg);
    }
  } catch (error) {
    scope.postMessage({ type: "error", slot, message: String(error) });
  }
};
