/**
 * The logger: formats records, writes them to stdout and to the optional
 * `log.file`, keeps them for the timeline, and never lets a failing sink stop
 * the shutdown.
 *
 * @module
 */

import { formatRecord, type LogFormat } from "./format.ts";
import type { FieldValue, Level, LogRecord, RecordName } from "./record.ts";
import { redactor } from "./redact.ts";

/** Something lines can be written to synchronously (`Deno.stdout` is one). */
export interface SyncWriter {
  /** Writes some bytes and returns how many were written. */
  writeSync(p: Uint8Array): number;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** `text` or `json`. */
  format: LogFormat;
  /** A file that receives every record too; opened for appending. */
  file?: string;
  /** Values that must never appear in output. */
  secrets?: readonly string[];
  /** Where records and step stdout go; default `Deno.stdout`. */
  stdout?: SyncWriter;
  /** Where step stderr goes; default `Deno.stderr`. */
  stderr?: SyncWriter;
}

/** Writes records. Every method is synchronous and never throws. */
export interface Logger {
  /** The output format. */
  readonly format: LogFormat;
  /** Every record emitted so far (step output excluded). */
  readonly records: readonly LogRecord[];
  /** Emits a record. */
  log(level: Level, msg: RecordName, fields?: Record<string, FieldValue>): LogRecord;
  /** Writes one line of a step's (or the app's) output, prefixed with its name. */
  output(step: string, stream: "stdout" | "stderr", line: string): void;
  /** Closes the file sink; records after this go to stdout only. */
  close(): void;
}

/** Creates a logger. A file sink that cannot be opened is reported once, on stdout. */
export function createLogger(options: LoggerOptions): Logger {
  const encoder = new TextEncoder();
  const redact = redactor(options.secrets ?? []);
  const stdout = guarded(options.stdout ?? Deno.stdout);
  const stderr = guarded(options.stderr ?? Deno.stderr);
  const records: LogRecord[] = [];
  let file: Deno.FsFile | undefined;
  let fileFailed = false;

  function fileFailure(error: unknown): void {
    if (fileFailed) return;
    fileFailed = true;
    try {
      file?.close();
    } catch { /* already unusable */ }
    file = undefined;
    const record = makeRecord("warn", "log.file_error", {
      file: options.file,
      error: errorText(error),
      note: "records continue on stdout only",
    });
    records.push(record);
    write(stdout, record, false);
  }

  function write(console: SyncWriter, record: LogRecord, toFile: boolean): void {
    const line = encoder.encode(redact(formatRecord(record, options.format)) + "\n");
    writeAll(console, line);
    if (toFile && file) {
      try {
        writeAll(file, line, true);
      } catch (error) {
        fileFailure(error);
      }
    }
  }

  if (options.file !== undefined) {
    try {
      // A FIFO or device would block the open (a FIFO with no reader) or the writes.
      const info = statIfExists(options.file);
      if (info && !info.isFile) throw new Error("Not a regular file");
      file = Deno.openSync(options.file, { append: true, create: true });
    } catch (error) {
      fileFailure(error);
    }
  }

  return {
    format: options.format,
    records,
    log(level, msg, fields = {}) {
      const record = makeRecord(level, msg, fields);
      records.push(record);
      write(stdout, record, true);
      return record;
    },
    output(step, stream, line) {
      const console = stream === "stderr" ? stderr : stdout;
      if (options.format === "json") {
        write(console, makeRecord("info", "step.output", { step, stream, line }), true);
        return;
      }
      const text = encoder.encode(redact(`[${step}] ${line}`) + "\n");
      writeAll(console, text);
      if (file) {
        try {
          writeAll(file, text, true);
        } catch (error) {
          fileFailure(error);
        }
      }
    },
    close() {
      try {
        file?.close();
      } catch { /* nothing left to do */ }
      file = undefined;
    },
  };
}

function makeRecord(
  level: Level,
  msg: RecordName,
  fields: Record<string, FieldValue>,
): LogRecord {
  return { ts: new Date().toISOString(), level, msg, fields };
}

function statIfExists(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** A console writer that goes quiet after its first failure (a closed pipe). */
function guarded(writer: SyncWriter): SyncWriter {
  let broken = false;
  return {
    writeSync(p) {
      if (broken) return p.length;
      try {
        return writer.writeSync(p);
      } catch {
        broken = true;
        return p.length;
      }
    },
  };
}

function writeAll(writer: SyncWriter, bytes: Uint8Array, rethrow = false): void {
  let offset = 0;
  while (offset < bytes.length) {
    let n: number;
    try {
      n = writer.writeSync(bytes.subarray(offset));
    } catch (error) {
      if (rethrow) throw error;
      return;
    }
    if (n <= 0) throw new Error("Short write");
    offset += n;
  }
}

/** A one-line description of an error, without a stack trace. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0];
  return String(error);
}
