/**
 * The registry values that decide how long a Windows container's processes
 * get once it is stopped, read and written through advapi32 (no reg.exe):
 *
 * - `HKLM\SYSTEM\CurrentControlSet\Services\cexecsvc\ProcessShutdownTimeoutSeconds`
 *   (REG_DWORD, seconds; absent: 5 s): how long `docker stop` lets the
 *   container's processes run after CTRL_SHUTDOWN, whatever `-t` says.
 * - `HKLM\SYSTEM\CurrentControlSet\Control\WaitToKillServiceTimeout`
 *   (REG_SZ, milliseconds as a decimal string): how long the container's
 *   services get at shutdown.
 *
 * The `cexecsvc` service (the Container Execution Agent) exists only inside a
 * Windows container: where its key is absent, the agent is not in one and
 * `ProcessShutdownTimeoutSeconds` does not apply.
 *
 * Every key is opened in the 64-bit view (KEY_WOW64_64KEY).
 *
 * @module
 */

import {
  advapi32,
  ERROR_FILE_NOT_FOUND,
  ERROR_MORE_DATA,
  HKEY_LOCAL_MACHINE,
  kernel32,
  KEY_QUERY_VALUE,
  KEY_SET_VALUE,
  KEY_WOW64_64KEY,
  pointerFrom,
  REG_CREATED_NEW_KEY,
  REG_DWORD,
  REG_EXPAND_SZ,
  REG_OPTION_NON_VOLATILE,
  REG_SZ,
  Win32Error,
  wstr,
} from "./kernel32.ts";
import type { ShutdownLimit } from "../types.ts";
import {
  describeLimit,
  readSettings,
  type RegistryAccess,
  type RegistryValue,
  SETTINGS,
} from "../shutdown_limits.ts";

/** Where `ProcessShutdownTimeoutSeconds` lives; its presence marks a Windows container. */
export const CEXECSVC_KEY = SETTINGS.processShutdownTimeout.key;

function hklm(): Deno.PointerValue {
  return pointerFrom(HKEY_LOCAL_MACHINE);
}

function readHandle(buffer: BigUint64Array): Deno.PointerValue {
  return pointerFrom(buffer[0]);
}

/** Opens `HKLM\subKey` for reading; undefined when it does not exist. Throws {@link Win32Error}. */
function openKey(subKey: string): Deno.PointerValue | undefined {
  const out = new BigUint64Array(1);
  const status = advapi32().RegOpenKeyExW(
    hklm(),
    wstr(subKey),
    0,
    KEY_QUERY_VALUE | KEY_WOW64_64KEY,
    new Uint8Array(out.buffer),
  );
  if (status === ERROR_FILE_NOT_FOUND) return undefined;
  if (status !== 0) throw new Win32Error(`RegOpenKeyExW(HKLM\\${subKey})`, status);
  return readHandle(out);
}

function closeKey(key: Deno.PointerValue): void {
  if (key !== null) advapi32().RegCloseKey(key);
}

/** Whether `HKLM\subKey` exists. Throws {@link Win32Error} (access denied, ...). */
export function keyExists(subKey: string): boolean {
  const key = openKey(subKey);
  if (key === undefined) return false;
  closeKey(key);
  return true;
}

function queryValue(key: Deno.PointerValue, name: string): RegistryValue | undefined {
  const a = advapi32();
  const type = new Uint32Array(1);
  const size = new Uint32Array(1);
  const wname = wstr(name);
  for (let attempt = 0; attempt < 4; attempt++) {
    let status = a.RegQueryValueExW(
      key,
      wname,
      null,
      new Uint8Array(type.buffer),
      null,
      new Uint8Array(size.buffer),
    );
    if (status === ERROR_FILE_NOT_FOUND) return undefined;
    if (status !== 0) throw new Win32Error(`RegQueryValueExW(${name})`, status);
    const data = new Uint8Array(Math.max(size[0], 4) + 2); // room for a missing terminator
    size[0] = data.length;
    status = a.RegQueryValueExW(
      key,
      wname,
      null,
      new Uint8Array(type.buffer),
      data,
      new Uint8Array(size.buffer),
    );
    if (status === ERROR_MORE_DATA) continue; // it grew in between
    if (status === ERROR_FILE_NOT_FOUND) return undefined;
    if (status !== 0) throw new Win32Error(`RegQueryValueExW(${name})`, status);
    const view = new DataView(data.buffer);
    if (type[0] === REG_DWORD && size[0] >= 4) {
      return { type: "dword", value: view.getUint32(0, true) };
    }
    if (type[0] === REG_SZ || type[0] === REG_EXPAND_SZ) {
      const chars = new Uint16Array(data.buffer, 0, Math.floor(size[0] / 2));
      const end = chars.indexOf(0);
      return {
        type: "sz",
        value: String.fromCharCode(...chars.subarray(0, end < 0 ? chars.length : end)),
      };
    }
    return { type: "other", regType: type[0] };
  }
  throw new Win32Error(`RegQueryValueExW(${name})`, ERROR_MORE_DATA);
}

/**
 * Reads `HKLM\subKey\name`; undefined when the key or the value does not
 * exist. Throws {@link Win32Error}.
 */
export function readValue(subKey: string, name: string): RegistryValue | undefined {
  const key = openKey(subKey);
  if (key === undefined) return undefined;
  try {
    return queryValue(key, name);
  } finally {
    closeKey(key);
  }
}

/**
 * Writes `HKLM\subKey\name`, creating the key when needed. Throws
 * {@link Win32Error}: ERROR_ACCESS_DENIED (5) when the process may not write
 * HKLM (in a container: not ContainerAdministrator). Resolves to whether the
 * key was created.
 */
export function writeValue(
  subKey: string,
  name: string,
  value: { type: "dword"; value: number } | { type: "sz"; value: string },
): { createdKey: boolean } {
  const a = advapi32();
  const out = new BigUint64Array(1);
  const disposition = new Uint32Array(1);
  const status = a.RegCreateKeyExW(
    hklm(),
    wstr(subKey),
    0,
    null,
    REG_OPTION_NON_VOLATILE,
    KEY_SET_VALUE | KEY_QUERY_VALUE | KEY_WOW64_64KEY,
    null,
    new Uint8Array(out.buffer),
    new Uint8Array(disposition.buffer),
  );
  if (status !== 0) throw new Win32Error(`RegCreateKeyExW(HKLM\\${subKey})`, status);
  const key = readHandle(out);
  try {
    let data: Uint8Array<ArrayBuffer>;
    let type: number;
    if (value.type === "dword") {
      data = new Uint8Array(4);
      new DataView(data.buffer).setUint32(0, value.value >>> 0, true);
      type = REG_DWORD;
    } else {
      const text = wstr(value.value);
      data = new Uint8Array(text.buffer);
      type = REG_SZ;
    }
    const set = a.RegSetValueExW(key, wstr(name), 0, type, data, data.length);
    if (set !== 0) throw new Win32Error(`RegSetValueExW(${name})`, set);
  } finally {
    closeKey(key);
  }
  return { createdKey: disposition[0] === REG_CREATED_NEW_KEY };
}

/** The registry, as `agent setup` and `agent doctor` use it. */
export const windowsRegistry: RegistryAccess = {
  keyExists,
  read: readValue,
  write: (subKey, name, value) => void writeValue(subKey, name, value),
};

/**
 * How long `docker stop` lets this process run after CTRL_SHUTDOWN: the
 * registry value, Windows' default (5 s) when a container does not set it, or
 * undefined outside a container (and when the registry cannot be read).
 */
export function shutdownLimit(): ShutdownLimit | undefined {
  try {
    return describeLimit(readSettings(windowsRegistry));
  } catch {
    return undefined;
  }
}

/** Whether user32.dll is loaded in this process (Deno's Windows runtime imports it). */
export function user32Loaded(): boolean {
  return kernel32().GetModuleHandleW(wstr("user32.dll")) !== null;
}
