/**
 * Turning records into text lines: `text` for people, `json` for machines.
 *
 * @module
 */

import type { FieldValue, LogRecord } from "./record.ts";

/** The two output formats. */
export type LogFormat = "text" | "json";

/** Formats one record as a single line, without the trailing newline. */
export function formatRecord(record: LogRecord, format: LogFormat): string {
  return format === "json" ? formatJson(record) : formatText(record);
}

function formatJson(record: LogRecord): string {
  const out: Record<string, unknown> = { ts: record.ts, level: record.level, msg: record.msg };
  for (const [key, value] of Object.entries(record.fields)) {
    if (value !== undefined && !(key in out)) out[key] = value;
  }
  return JSON.stringify(out);
}

function formatText(record: LogRecord): string {
  let line = `${record.ts} ${record.level.padEnd(5)} ${record.msg}`;
  for (const [key, value] of Object.entries(record.fields)) {
    if (value === undefined) continue;
    line += ` ${key}=${formatTextValue(value)}`;
  }
  return line;
}

function formatTextValue(value: FieldValue): string {
  if (Array.isArray(value)) return quoteIfNeeded(value.join(","));
  if (typeof value === "string") return quoteIfNeeded(value);
  return String(value);
}

function quoteIfNeeded(value: string): string {
  return value === "" || /[\s"=\\]|[^\x20-\x7e]/.test(value) ? JSON.stringify(value) : value;
}
