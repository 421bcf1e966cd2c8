/**
 * Log records: the contract between the agent and whoever reads its output
 * (users, log collectors and the black-box tests).
 *
 * @module
 */

/** Severity of a record. */
export type Level = "info" | "warn" | "error";

/**
 * The message names the agent emits. Each is documented in the README with its
 * fields; tests and users parse them, so they only ever grow.
 */
export type RecordName =
  | "ready"
  | "event"
  | "event.ignored"
  | "event.passed"
  | "event.unsupported"
  | "step.start"
  | "step.output"
  | "step.end"
  | "main.start"
  | "main.stop"
  | "main.kill"
  | "main.exit"
  | "waiting"
  | "warning"
  | "error"
  | "log.file_error"
  | "control.refused"
  | "done";

/** Field values a record may carry. */
export type FieldValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number)[];

/** One log record: when, how severe, what, and named fields. */
export interface LogRecord {
  /** ISO 8601 time the record was made. */
  ts: string;
  /** Severity. */
  level: Level;
  /** What happened (one of {@link RecordName}). */
  msg: RecordName;
  /** Named fields, in the order they were given. */
  fields: Record<string, FieldValue>;
}
