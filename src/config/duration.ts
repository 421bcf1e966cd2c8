/**
 * Durations as written in `agent.yaml`: `250ms`, `10s`, `1m30s`, `1.5s`, `2m`,
 * `1h`, or a plain number of seconds.
 *
 * @module
 */

/** The longest duration accepted anywhere in the config: 24 hours, in milliseconds. */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

/** The accepted forms, for error messages. */
export const DURATION_FORMS =
  "a number of seconds or a string such as 250ms, 10s, 1m30s, 1.5s, 2m or 1h";

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const UNIT_ORDER = ["h", "m", "s", "ms"];
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

/**
 * Parse a duration into milliseconds.
 *
 * Strings combine `h`, `m`, `s` and `ms` parts in descending order, each at most
 * once (`1h30m`, `1m30s`, `1.5s`, `250ms`); numbers are seconds (`30`, `0.5`).
 * The result is rounded to a whole millisecond. Zero is accepted; callers that
 * need a positive value check for it.
 *
 * @param value The duration as written in the config.
 * @returns The duration in milliseconds.
 * @throws {Error} When the value is not a duration, is negative, or is longer than 24h.
 *
 * @example
 * ```ts
 * parseDuration("1m30s"); // 90000
 * parseDuration(0.25); // 250
 * ```
 */
export function parseDuration(value: string | number): number {
  let ms: number;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new Error(`invalid duration ${value}: use ${DURATION_FORMS}`);
    }
    if (value < 0) throw new Error(`invalid duration ${value}: must not be negative`);
    ms = value * 1000;
  } else if (typeof value === "string") {
    ms = parseDurationString(value);
  } else {
    throw new Error(`invalid duration: use ${DURATION_FORMS}`);
  }
  ms = Math.round(ms);
  if (ms > MAX_DURATION_MS) {
    throw new Error(
      `duration ${showValue(value)} is too long: the maximum is ${formatDuration(MAX_DURATION_MS)}`,
    );
  }
  return ms;
}

function parseDurationString(text: string): number {
  const invalid = () =>
    new Error(`invalid duration ${JSON.stringify(text)}: use ${DURATION_FORMS}`);
  if (text.trim().startsWith("-")) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: must not be negative`);
  }
  if (text.length === 0) throw invalid();
  let total = 0;
  let lastUnit = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) throw invalid();
    const unit = UNIT_ORDER.indexOf(match[2]);
    if (unit <= lastUnit) {
      throw new Error(
        `invalid duration ${JSON.stringify(text)}: units must appear once each, largest first`,
      );
    }
    lastUnit = unit;
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return total;
}

function showValue(value: string | number): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Format milliseconds the way `agent.yaml` writes durations.
 *
 * @param ms A duration in milliseconds (rounded to a whole millisecond).
 * @returns A compact string such as `250ms`, `1.5s`, `1m30s` or `1h`.
 *
 * @example
 * ```ts
 * formatDuration(90000); // "1m30s"
 * formatDuration(1500); // "1.5s"
 * ```
 */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  const sign = rest < 0 ? "-" : "";
  rest = Math.abs(rest);
  if (rest === 0) return "0s";
  if (rest < 1000) return `${sign}${rest}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  let out = sign;
  if (hours > 0) out += `${hours}h`;
  if (minutes > 0) out += `${minutes}m`;
  if (rest > 0) out += `${rest / 1000}s`;
  return out;
}
