/**
 * How long the platform lets the agent run once it has been told to stop, and
 * what follows from it: whether a budget fits, the budget the agent keeps when
 * it does not, the number to give `agent setup --timeout`, and what `agent
 * setup` changes. Pure functions over registry values: the Windows registry
 * itself is read in windows/registry.ts, so all of this is tested everywhere.
 *
 * Two limits exist for a Windows container:
 * - `docker stop` shuts the whole container down; its processes get
 *   `ProcessShutdownTimeoutSeconds` (5 s unless the image sets it), whatever
 *   `docker stop -t` says.
 * - containerd (Kubernetes) sends CTRL_SHUTDOWN to the ENTRYPOINT and waits
 *   `terminationGracePeriodSeconds` (which also covers the preStop hook).
 *
 * The agent cannot tell which one will stop it, so it honours the registry
 * value in every case: an image should always raise it (`agent setup`).
 *
 * @module
 */

import type { ShutdownLimit } from "./types.ts";

/** Windows' own value when `ProcessShutdownTimeoutSeconds` is not set. */
export const DEFAULT_PROCESS_SHUTDOWN_TIMEOUT_S = 5;
/** The largest `agent setup --timeout` accepted: one day. */
export const MAX_SETUP_SECONDS = 86_400;
/** The agent never cuts its budget below this, however short the platform's limit. */
export const MIN_EFFECTIVE_BUDGET_MS = 1_000;
/** Seconds added to budget + margin in the numbers the agent recommends. */
export const RECOMMENDED_HEADROOM_S = 5;

/** One registry value as read. */
export type RegistryValue =
  | { type: "dword"; value: number }
  | { type: "sz"; value: string }
  | { type: "other"; regType: number };

/** A value `agent setup` writes. */
export type RegistryWrite = { type: "dword"; value: number } | { type: "sz"; value: string };

/** What `agent setup` and `agent doctor` need from the registry (HKLM, 64-bit view). */
export interface RegistryAccess {
  /** Whether `HKLM\subKey` exists. */
  keyExists(subKey: string): boolean;
  /** `HKLM\subKey\name`, or undefined when the key or value is absent. */
  read(subKey: string, name: string): RegistryValue | undefined;
  /** Writes `HKLM\subKey\name`, creating the key if needed. */
  write(subKey: string, name: string, value: RegistryWrite): void;
}

/** The two settings, where they live. */
export const SETTINGS = {
  processShutdownTimeout: {
    key: "SYSTEM\\CurrentControlSet\\Services\\cexecsvc",
    name: "ProcessShutdownTimeoutSeconds",
  },
  waitToKillServiceTimeout: {
    key: "SYSTEM\\CurrentControlSet\\Control",
    name: "WaitToKillServiceTimeout",
  },
} as const;

/** The full path of a setting, as `reg query` shows it. */
export function settingPath(setting: { key: string; name: string }): string {
  return `HKLM\\${setting.key}\\${setting.name}`;
}

/** The container's shutdown settings as read from the registry. */
export interface ContainerSettings {
  /** The `cexecsvc` service exists: this is a Windows container. */
  inContainer: boolean;
  /** `ProcessShutdownTimeoutSeconds` (REG_DWORD, seconds), when set. */
  processShutdownTimeout?: RegistryValue;
  /** `WaitToKillServiceTimeout` (REG_SZ, milliseconds), when set. */
  waitToKillServiceTimeout?: RegistryValue;
}

/** `ProcessShutdownTimeoutSeconds` in seconds; undefined when absent or not a DWORD. */
export function processShutdownSeconds(value: RegistryValue | undefined): number | undefined {
  return value?.type === "dword" ? value.value : undefined;
}

/** `WaitToKillServiceTimeout` in ms; undefined when absent or not a decimal string. */
export function waitToKillMs(value: RegistryValue | undefined): number | undefined {
  if (value?.type !== "sz" || !/^\s*\d+\s*$/.test(value.value)) return undefined;
  return Number(value.value.trim());
}

/** A registry value in words: `60 (REG_DWORD)`, `"60000" (REG_SZ)`, `not set`. */
export function showValue(value: RegistryValue | undefined): string {
  if (value === undefined) return "not set";
  if (value.type === "dword") return `${value.value} (REG_DWORD)`;
  if (value.type === "sz") return `"${value.value}" (REG_SZ)`;
  return `a value of registry type ${value.regType}`;
}

/**
 * The platform's limit for this process, from the container's settings:
 * undefined outside a Windows container, Windows' default (5 s) when the
 * value is not set (or has the wrong type).
 */
export function describeLimit(settings: ContainerSettings): ShutdownLimit | undefined {
  if (!settings.inContainer) return undefined;
  const path = settingPath(SETTINGS.processShutdownTimeout);
  const seconds = processShutdownSeconds(settings.processShutdownTimeout);
  if (seconds === undefined) {
    return {
      ms: DEFAULT_PROCESS_SHUTDOWN_TIMEOUT_S * 1000,
      source: `${path} is ${
        showValue(settings.processShutdownTimeout)
      }: Windows' default of ${DEFAULT_PROCESS_SHUTDOWN_TIMEOUT_S} s applies`,
    };
  }
  return { ms: seconds * 1000, source: `${path} = ${seconds}` };
}

/** Whether a budget ends, with the agent's exit margin, before the limit. */
export function budgetFits(budgetMs: number, limitMs: number, marginMs: number): boolean {
  return budgetMs + marginMs <= limitMs;
}

/**
 * The budget the agent keeps: the configured one when it fits the limit;
 * otherwise the limit less two margins (one for the steps cut off at the
 * deadline, one for the final records and the exit), never below
 * {@link MIN_EFFECTIVE_BUDGET_MS}.
 */
export function fitBudget(
  budgetMs: number,
  limitMs: number | undefined,
  marginMs: number,
): { budgetMs: number; capped: boolean } {
  if (limitMs === undefined || budgetFits(budgetMs, limitMs, marginMs)) {
    return { budgetMs, capped: false };
  }
  const capped = Math.max(MIN_EFFECTIVE_BUDGET_MS, limitMs - 2 * marginMs);
  return { budgetMs: Math.min(budgetMs, capped), capped: true };
}

/**
 * The seconds to give the platform for a budget: budget + margin, rounded
 * up, plus {@link RECOMMENDED_HEADROOM_S}. Used for `agent setup --timeout N`
 * and `terminationGracePeriodSeconds`.
 */
export function recommendedSeconds(budgetMs: number, marginMs: number): number {
  return Math.ceil((budgetMs + marginMs) / 1000) + RECOMMENDED_HEADROOM_S;
}

/** Validates `agent setup --timeout SECONDS`; returns the number or an error message. */
export function parseSetupSeconds(text: string): number | { error: string } {
  if (!/^\d+$/.test(text.trim())) {
    return { error: `--timeout must be a whole number of seconds, not "${text}"` };
  }
  const seconds = Number(text.trim());
  if (seconds < 1 || seconds > MAX_SETUP_SECONDS) {
    return { error: `--timeout must be between 1 and ${MAX_SETUP_SECONDS} seconds, not ${text}` };
  }
  return seconds;
}

/** One value `agent setup` looked at. */
export interface SetupChange {
  /** The setting's full path. */
  path: string;
  /** The value before, in words. */
  before: string;
  /** The value wanted, in words. */
  after: string;
  /** False when it already had the wanted value. */
  changed: boolean;
  /** What to write (when changed). */
  key: string;
  /** The value's name. */
  name: string;
  /** The value to write. */
  value: RegistryWrite;
}

/** What `agent setup --timeout seconds` must change, given the current values. */
export function planSetup(settings: ContainerSettings, seconds: number): SetupChange[] {
  const pst = SETTINGS.processShutdownTimeout;
  const wtk = SETTINGS.waitToKillServiceTimeout;
  const ms = String(seconds * 1000);
  const current = settings.waitToKillServiceTimeout;
  return [
    {
      path: settingPath(pst),
      before: showValue(settings.processShutdownTimeout),
      after: `${seconds} (REG_DWORD)`,
      changed: processShutdownSeconds(settings.processShutdownTimeout) !== seconds,
      key: pst.key,
      name: pst.name,
      value: { type: "dword", value: seconds },
    },
    {
      path: settingPath(wtk),
      before: showValue(current),
      after: `"${ms}" (REG_SZ)`,
      changed: !(current?.type === "sz" && current.value === ms),
      key: wtk.key,
      name: wtk.name,
      value: { type: "sz", value: ms },
    },
  ];
}

/** Reads both settings through `registry`. */
export function readSettings(registry: RegistryAccess): ContainerSettings {
  const { processShutdownTimeout: pst, waitToKillServiceTimeout: wtk } = SETTINGS;
  return {
    inContainer: registry.keyExists(pst.key),
    processShutdownTimeout: registry.read(pst.key, pst.name),
    waitToKillServiceTimeout: registry.read(wtk.key, wtk.name),
  };
}

/** Applies {@link planSetup} and returns one line per value: `old -> new`, or `already set`. */
export function applySetup(registry: RegistryAccess, seconds: number): string[] {
  return planSetup(readSettings(registry), seconds).map((change) => {
    if (!change.changed) return `${change.path}: already set to ${change.after}`;
    registry.write(change.key, change.name, change.value);
    return `${change.path}: ${change.before} -> ${change.after}`;
  });
}
