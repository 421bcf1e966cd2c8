/** An in-memory registry for the tests of `agent setup` and `agent doctor`. */

import type {
  RegistryAccess,
  RegistryValue,
  RegistryWrite,
} from "../../src/platform/shutdown_limits.ts";

/** An in-memory HKLM. */
export function fakeRegistry(
  initial: Record<string, RegistryValue> = {},
  keys: string[] = [],
): RegistryAccess & { values: Map<string, RegistryValue>; writes: string[] } {
  const values = new Map(Object.entries(initial));
  const keySet = new Set(keys);
  for (const path of values.keys()) keySet.add(path.slice(0, path.lastIndexOf("\\")));
  const writes: string[] = [];
  return {
    values,
    writes,
    keyExists: (key) => keySet.has(key),
    read: (key, name) => values.get(`${key}\\${name}`),
    write(key: string, name: string, value: RegistryWrite) {
      keySet.add(key);
      values.set(`${key}\\${name}`, value);
      writes.push(name);
    },
  };
}
