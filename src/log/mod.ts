/**
 * Records, their formats and sinks.
 *
 * @module
 */

export type { FieldValue, Level, LogRecord, RecordName } from "./record.ts";
export { formatRecord, type LogFormat } from "./format.ts";
export { createLogger, errorText, type Logger, type LoggerOptions } from "./logger.ts";
export { MIN_SECRET_LENGTH, redactor, secretValues } from "./redact.ts";
