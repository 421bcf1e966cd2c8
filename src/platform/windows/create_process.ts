/**
 * Starting a process with `CreateProcessW` through FFI, for what
 * `Deno.Command` cannot do: creation flags. The agent uses it to start the
 * main app (and, with `stdio: "piped"`, the steps: in their job before they
 * run, on the agent's console, stdin `NUL`, stdout/stderr anonymous pipes
 * read as streams, see {@link pipeReadable})
 *
 * - CREATE_SUSPENDED, so the process is in its Job Object before it runs a
 *   single instruction (no grandchild can escape the job), then ResumeThread;
 * - on a console of its own (see {@link ISOLATION_FLAGS}), so the console
 *   events of the agent's console (the container's) do not reach it
 *   directly: the agent delivers its stop event when the plan says so;
 * - with the agent's own stdin/stdout/stderr (inheritable duplicates, and
 *   only those: PROC_THREAD_ATTRIBUTE_HANDLE_LIST), so its output still goes
 *   to the container log. When the agent's stdout or stderr is a console
 *   (a container started with a TTY), the child on its own console cannot
 *   write to it (seen under Wine): it gets a pipe instead, which the agent
 *   relays to its own stream.
 *
 * The program is found the way `Deno.Command` finds it (PATH, then PATHEXT),
 * and a program that is not found is a `Deno.errors.NotFound`. The command
 * line is quoted by the MSVCRT rules ({@link quoteWindowsArgs}).
 *
 * @module
 */

import {
  closeHandle,
  CREATE_NEW_CONSOLE,
  CREATE_NEW_PROCESS_GROUP,
  CREATE_NO_WINDOW,
  CREATE_SUSPENDED,
  CREATE_UNICODE_ENVIRONMENT,
  DETACHED_PROCESS,
  DUPLICATE_SAME_ACCESS,
  ERROR_ACCESS_DENIED,
  ERROR_FILE_NOT_FOUND,
  ERROR_PATH_NOT_FOUND,
  EXTENDED_STARTUPINFO_PRESENT,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  FILE_TYPE_CHAR,
  GENERIC_READ,
  kernel32,
  lastError,
  OPEN_EXISTING,
  PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
  PROCESS_INFORMATION,
  STARTF_USESHOWWINDOW,
  STARTF_USESTDHANDLES,
  STARTUPINFOEXW,
  STD_ERROR_HANDLE,
  STD_INPUT_HANDLE,
  STD_OUTPUT_HANDLE,
  SW_HIDE,
  Win32Error,
  wstr,
} from "./kernel32.ts";

// ------------------------------------------------------------------ command line

/** Characters that make the MSVCRT parser split or unquote an argument. */
const NEEDS_QUOTES = /[\s"]/;

/**
 * One argument (not the first) quoted so that the MSVCRT / CommandLineToArgvW
 * parser gives it back unchanged: wrapped in quotes when it is empty or holds
 * white space or a quote; a quote becomes `\"`; backslashes are doubled only
 * where they precede a quote (inside the argument, or the closing one).
 */
export function quoteWindowsArg(arg: string): string {
  if (arg !== "" && !NEEDS_QUOTES.test(arg)) return arg;
  let quoted = '"';
  let backslashes = 0;
  for (const char of arg) {
    if (char === "\\") {
      backslashes++;
      continue;
    }
    if (char === '"') {
      quoted += "\\".repeat(backslashes * 2 + 1) + '"';
    } else {
      quoted += "\\".repeat(backslashes) + char;
    }
    backslashes = 0;
  }
  return quoted + "\\".repeat(backslashes * 2) + '"';
}

/**
 * The first argument, the program: the parser takes it up to the next white
 * space, or, when it starts with a quote, up to the next quote, with no
 * backslash escapes. A program name cannot hold a quote.
 */
export function quoteWindowsProgram(program: string): string {
  if (program.includes('"')) {
    throw new TypeError(`A program name cannot contain a double quote: ${program}`);
  }
  return program === "" || /\s/.test(program) ? `"${program}"` : program;
}

/** A command line for `CreateProcessW` that the child's C runtime splits back into `argv`. */
export function quoteWindowsArgs(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError("An empty command");
  return [quoteWindowsProgram(argv[0]), ...argv.slice(1).map(quoteWindowsArg)].join(" ");
}

/**
 * `cmd.exe` treats these specially even where the C runtime does not; an
 * argument of a batch file that holds one is always quoted. (`%VAR%` is still
 * expanded by cmd inside quotes: it cannot be escaped on a command line.)
 */
const CMD_SPECIAL = /[\s"&|<>()^%!,;=]/;

/** The command line that runs batch file `script` with `args` under `cmd.exe`. */
export function batchCommandLine(script: string, args: readonly string[]): string {
  const quoted = [
    `"${script}"`,
    ...args.map((arg) => {
      if (arg.includes('"')) {
        throw new TypeError(`An argument of a batch file cannot contain a double quote: ${arg}`);
      }
      return arg === "" || CMD_SPECIAL.test(arg) ? `"${arg}"` : arg;
    }),
  ];
  // /s: cmd strips the outer quotes and runs the rest as it is.
  return `cmd.exe /d /e:ON /v:OFF /s /c "${quoted.join(" ")}"`;
}

// ------------------------------------------------------------------ program lookup

/** What {@link resolveProgram} needs from its environment (injected for tests). */
export interface ResolveOptions {
  /** The child's PATH. */
  path?: string;
  /** The child's PATHEXT (default `.COM;.EXE;.BAT;.CMD`). */
  pathext?: string;
  /** The child's working directory (absolute). */
  cwd: string;
  /** Whether a regular file exists at `path`. */
  isFile(path: string): boolean;
}

const DEFAULT_PATHEXT = ".COM;.EXE;.BAT;.CMD";

function isAbsolute(path: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(path) || /^[\\/]{2}/.test(path);
}

function join(dir: string, name: string): string {
  return /[\\/]$/.test(dir) ? dir + name : `${dir}\\${name}`;
}

/** `path` made absolute against `base` (an absolute Windows path). */
export function absolute(path: string, base: string): string {
  if (isAbsolute(path)) return path;
  if (/^[\\/]/.test(path)) return base.slice(0, 2) + path; // rooted: the drive of `base`
  if (/^[A-Za-z]:/.test(path)) return path; // drive-relative: left to Windows
  return join(base, path);
}

/** The extension of the last component of `path`, or "". */
function extension(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf("\\"), path.lastIndexOf("/")) + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot) : "";
}

/**
 * The file a command name stands for, as `Deno.Command` (the `which` crate)
 * finds it: a name with a path separator is taken relative to `cwd`; a bare
 * name is looked up in each PATH directory. A name with an executable
 * extension (in PATHEXT) is tried as it is; one without, with each PATHEXT
 * extension appended (and as it is first, when it has another extension).
 * Undefined when nothing is found.
 */
export function resolveProgram(program: string, options: ResolveOptions): string | undefined {
  if (program === "") return undefined;
  const exts = (options.pathext || DEFAULT_PATHEXT).split(";").filter((e) => e.startsWith("."));
  const candidates = (base: string): string[] => {
    const ext = extension(base).toUpperCase();
    if (ext && exts.some((e) => e.toUpperCase() === ext)) return [base];
    return [...(ext ? [base] : []), ...exts.map((e) => base + e)];
  };
  const first = (base: string) => candidates(base).find((c) => options.isFile(c));

  if (/[\\/]/.test(program)) {
    return first(absolute(program, options.cwd));
  }
  for (let dir of (options.path ?? "").split(";")) {
    dir = dir.trim().replace(/^"(.*)"$/, "$1");
    if (!dir) continue;
    const found = first(join(absolute(dir, options.cwd), program));
    if (found) return found;
  }
  return undefined;
}

// ------------------------------------------------------------------ environment

/** A case-insensitive lookup in a Windows environment. */
function envGet(env: Record<string, string>, name: string): string | undefined {
  const upper = name.toUpperCase();
  for (const [key, value] of Object.entries(env)) if (key.toUpperCase() === upper) return value;
  return undefined;
}

/** `base` with `extra` on top; names compare case-insensitively, as on Windows. */
export function mergeEnvironment(
  base: Record<string, string>,
  extra: Record<string, string>,
): Record<string, string> {
  const merged = new Map<string, [string, string]>();
  for (const [key, value] of Object.entries(base)) merged.set(key.toUpperCase(), [key, value]);
  for (const [key, value] of Object.entries(extra)) merged.set(key.toUpperCase(), [key, value]);
  return Object.fromEntries(merged.values());
}

/** A CREATE_UNICODE_ENVIRONMENT block: `NAME=value\0` each, sorted by name, then `\0`. */
export function environmentBlock(env: Record<string, string>): Uint16Array<ArrayBuffer> {
  const entries = Object.entries(env).sort(([a], [b]) => {
    const x = a.toUpperCase(), y = b.toUpperCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const text = entries.map(([key, value]) => `${key}=${value}\0`).join("") + "\0";
  const block = new Uint16Array(text.length + (entries.length === 0 ? 1 : 0));
  for (let i = 0; i < text.length; i++) block[i] = text.charCodeAt(i);
  return block;
}

// ------------------------------------------------------------------ CreateProcessW

/**
 * How the child is kept apart from the agent's console events:
 * - `console`: a console of its own with no window (CREATE_NO_WINDOW); the
 *   default. Under Wine, with the agent on a console: a CTRL_C_EVENT sent to
 *   the agent's whole console (GenerateConsoleCtrlEvent(0, 0)) did not reach
 *   the child, a CtrlRoutine thread did run its handler (every event), and its
 *   output reached the agent's stdout (relayed when that is a console). Its
 *   own children share its console, as they would the container's;
 * - `hidden-console`: a console of its own, its window hidden
 *   (CREATE_NEW_CONSOLE + SW_HIDE);
 * - `group`: the agent's console, a process group of its own
 *   (CREATE_NEW_PROCESS_GROUP: CTRL_C is disabled in it, CTRL_BREAK and the
 *   console-wide events CLOSE/LOGOFF/SHUTDOWN still arrive). Under Wine a
 *   CtrlRoutine thread did NOT run the child's handler, for any event;
 * - `detached`: no console at all (DETACHED_PROCESS); behaved like `console`
 *   under Wine, but each console program the app starts gets a console of
 *   its own;
 * - `none`: the agent's console and process group (like `Deno.Command`): the
 *   CTRL_C_EVENT sent to the agent's console reached the child at once.
 */
export type Isolation = "console" | "hidden-console" | "group" | "detached" | "none";

/** The creation flags of each {@link Isolation}. */
export const ISOLATION_FLAGS: Readonly<Record<Isolation, number>> = {
  "console": CREATE_NO_WINDOW,
  "hidden-console": CREATE_NEW_CONSOLE,
  "group": CREATE_NEW_PROCESS_GROUP,
  "detached": DETACHED_PROCESS,
  "none": 0,
};

/** Options of {@link createProcess}. */
export interface CreateProcessOptions {
  /** Working directory (default: the agent's). */
  cwd?: string;
  /** Environment variables added to the agent's own. */
  env?: Record<string, string>;
  /** See {@link Isolation} (default `console`). */
  isolation?: Isolation;
  /** Leave the first thread suspended (the caller resumes it, after assigning a job). */
  suspended?: boolean;
  /**
   * The child's stdin/stdout/stderr: `inherit` (the default), the agent's own
   * (relayed when a console cannot be shared, see the module comment);
   * `piped`, stdin is `NUL` and stdout/stderr are pipes the agent reads
   * ({@link CreatedProcess.stdout}); `none`, no std handles are given.
   */
  stdio?: "inherit" | "piped" | "none";
}

/** Whether `handle` is a console (GetConsoleMode succeeds on it). */
function isConsole(handle: Deno.PointerValue): boolean {
  const k = kernel32();
  return handle !== null && k.GetFileType(handle) === FILE_TYPE_CHAR &&
    k.GetConsoleMode(handle, new Uint32Array(1)) !== 0;
}

/**
 * A pipe whose write end (inheritable) stands in for a console output of the
 * agent; `relay` copies what arrives to `stream` until every writer closed it.
 */
function consoleRelay(stream: { write(p: Uint8Array): Promise<number> }) {
  const k = kernel32();
  const ends = new BigUint64Array(2);
  if (!k.CreatePipe(ends.subarray(0, 1), ends.subarray(1, 2), null, 0)) return undefined;
  const read = Deno.UnsafePointer.create(ends[0]);
  const write = Deno.UnsafePointer.create(ends[1]);
  const self = k.GetCurrentProcess();
  const out = new BigUint64Array(1);
  const ok = k.DuplicateHandle(self, write, self, out, 0, 1, DUPLICATE_SAME_ACCESS);
  closeHandle(write);
  if (!ok) {
    closeHandle(read);
    return undefined;
  }
  return {
    /** The inheritable write end, for the child (close it after CreateProcessW). */
    write: Deno.UnsafePointer.create(out[0]),
    /** Copies until EOF (every write end closed: the child's tree has exited). */
    async relay(): Promise<void> {
      const buffer = new Uint8Array(64 * 1024);
      const count = new Uint32Array(1);
      try {
        while (await k.ReadFileAsync(read, buffer, buffer.length, count, null) && count[0] > 0) {
          const chunk = buffer.slice(0, count[0]);
          for (let done = 0; done < chunk.length;) done += await stream.write(chunk.subarray(done));
        }
      } catch {
        // the agent's stream is gone: nothing to relay to
      } finally {
        closeHandle(read);
      }
    },
    /** Frees both ends when the child was not started. */
    discard() {
      closeHandle(read);
    },
  };
}

/** `handle` as an inheritable duplicate; the original is closed either way. Throws. */
function inheritable(handle: Deno.PointerValue): Deno.PointerValue {
  const k = kernel32();
  const self = k.GetCurrentProcess();
  const out = new BigUint64Array(1);
  const ok = k.DuplicateHandle(self, handle, self, out, 0, 1, DUPLICATE_SAME_ACCESS);
  const error = ok ? undefined : lastError("DuplicateHandle");
  closeHandle(handle);
  if (error) throw error;
  return Deno.UnsafePointer.create(out[0]);
}

/** `NUL` opened for reading, inheritable (a child's stdin that is always at its end). Throws. */
function inheritableNul(): Deno.PointerValue {
  const k = kernel32();
  const handle = k.CreateFileW(
    wstr("NUL"),
    GENERIC_READ,
    FILE_SHARE_READ | FILE_SHARE_WRITE,
    null,
    OPEN_EXISTING,
    0,
    null,
  );
  const value = handle === null ? 0n : BigInt(Deno.UnsafePointer.value(handle));
  if (value === 0n || value === 0xffffffffffffffffn) throw lastError("CreateFileW(NUL)");
  return inheritable(handle);
}

/**
 * An anonymous pipe for a child's stdout or stderr: the agent's read end (not
 * inheritable), and an inheritable write end for the child, which the agent
 * closes once the child has its copy. Throws.
 */
function outputPipe(): { read: Deno.PointerValue; write: Deno.PointerValue } {
  const k = kernel32();
  const ends = new BigUint64Array(2);
  if (!k.CreatePipe(ends.subarray(0, 1), ends.subarray(1, 2), null, 0)) {
    throw lastError("CreatePipe");
  }
  const read = Deno.UnsafePointer.create(ends[0]);
  try {
    return { read, write: inheritable(Deno.UnsafePointer.create(ends[1])) };
  } catch (error) {
    closeHandle(read);
    throw error;
  }
}

/** Bytes asked of one ReadFile. */
const PIPE_CHUNK = 64 * 1024;

/**
 * The read end of a pipe as a stream; the stream owns (and closes) the handle.
 *
 * Each read is a `nonblocking` ReadFile (a worker thread; the event loop
 * stays free), started only when the stream is read (highWaterMark 0). A
 * failed read is the end of the stream: ERROR_BROKEN_PIPE (109) when every
 * write end is closed (the child's whole tree has exited), or the read was
 * cancelled. (The error code itself cannot be told: GetLastError would run on
 * another thread than the read.)
 *
 * Cancelling ends the stream at once (a read pending in the stream settles
 * with `done`), whatever the read in flight does: it is cancelled with
 * CancelIoEx (under Wine that makes the blocked ReadFile return at once), and
 * the handle is closed when it has returned: not before, so that the handle
 * value cannot be reused under a read in flight. Were CancelIoEx not to reach
 * it, the worker thread would wait until the pipe closes (when the job's
 * processes have ended); nothing in the agent waits for it.
 */
export function pipeReadable(handle: Deno.PointerValue): ReadableStream<Uint8Array> {
  const k = kernel32();
  let reading = false;
  let ended = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const buffer = new Uint8Array(PIPE_CHUNK);
        const count = new Uint32Array(1);
        reading = true;
        let ok = 0;
        try {
          ok = await k.ReadFileAsync(handle, buffer, buffer.length, count, null);
        } finally {
          reading = false;
        }
        if (ended) { // cancelled while the read was in flight
          closeHandle(handle);
          return;
        }
        if (!ok) {
          ended = true;
          closeHandle(handle);
          controller.close();
          return;
        }
        // A zero-byte read (a zero-byte write) is not the end: read again.
        if (count[0] > 0) {
          controller.enqueue(buffer.slice(0, count[0]));
          return;
        }
      }
    },
    cancel() {
      if (ended) return;
      ended = true;
      if (reading) k.CancelIoEx(handle, null);
      else closeHandle(handle);
    },
  }, { highWaterMark: 0 });
}

/** A process started by {@link createProcess}; the caller owns (and closes) both handles. */
export interface CreatedProcess {
  /** Process id. */
  pid: number;
  /** Process handle (PROCESS_ALL_ACCESS). */
  process: Deno.PointerValue;
  /** Handle of the first thread (suspended with `suspended`). */
  thread: Deno.PointerValue;
  /** The file that was started. */
  program: string;
  /** The command line it was given. */
  commandLine: string;
  /** Settles when the relayed console output (if any) has all been copied. */
  relayed: Promise<void>;
  /** With `stdio: "piped"`: the child's stdout (EOF when its whole tree has closed it). */
  stdout: ReadableStream<Uint8Array> | null;
  /** With `stdio: "piped"`: the child's stderr. */
  stderr: ReadableStream<Uint8Array> | null;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The agent's std handle `which`, as an inheritable duplicate; null when it has none. */
function inheritableStdHandle(which: number): Deno.PointerValue {
  const k = kernel32();
  const handle = k.GetStdHandle(which);
  const value = handle === null ? 0n : BigInt(Deno.UnsafePointer.value(handle));
  if (value === 0n || value === 0xffffffffffffffffn) return null;
  const self = k.GetCurrentProcess();
  const out = new BigUint64Array(1);
  if (!k.DuplicateHandle(self, handle, self, out, 0, 1, DUPLICATE_SAME_ACCESS)) return null;
  return Deno.UnsafePointer.create(out[0]);
}

/** A PROC_THREAD_ATTRIBUTE_LIST naming exactly `handles`; `delete` frees it. */
function handleListAttribute(handles: bigint[]) {
  const k = kernel32();
  const size = new BigUint64Array(1);
  k.InitializeProcThreadAttributeList(null, 1, 0, size); // fails, and says how large
  const list = new Uint8Array(Number(size[0]) || 64);
  if (!k.InitializeProcThreadAttributeList(list, 1, 0, size)) return undefined;
  const array = new BigUint64Array(handles);
  if (
    !k.UpdateProcThreadAttribute(
      list,
      0,
      BigInt(PROC_THREAD_ATTRIBUTE_HANDLE_LIST),
      array,
      BigInt(array.byteLength),
      null,
      null,
    )
  ) {
    k.DeleteProcThreadAttributeList(list);
    return undefined;
  }
  return { list, array, delete: () => k.DeleteProcThreadAttributeList(list) };
}

/** The error `Deno.Command` would throw for `code`. */
function spawnError(code: number, program: string): Error {
  const cause = new Win32Error("CreateProcessW", code);
  const message = `Failed to spawn '${program}': ${cause.message}`;
  if (code === ERROR_FILE_NOT_FOUND || code === ERROR_PATH_NOT_FOUND) {
    return new Deno.errors.NotFound(message, { cause });
  }
  if (code === ERROR_ACCESS_DENIED) return new Deno.errors.PermissionDenied(message, { cause });
  return new Error(message, { cause });
}

/**
 * Starts `argv` with `CreateProcessW`. Throws `Deno.errors.NotFound` when the
 * program is not found, `Deno.errors.PermissionDenied` when it may not be run,
 * another Error when it cannot be (not a valid program, for example).
 */
export function createProcess(
  argv: readonly string[],
  options: CreateProcessOptions = {},
): CreatedProcess {
  if (argv.length === 0) throw new TypeError("An empty command");
  const k = kernel32();
  const cwd = options.cwd ?? Deno.cwd();
  const env = options.env && Object.keys(options.env).length > 0
    ? mergeEnvironment(Deno.env.toObject(), options.env)
    : undefined;
  const lookup = env ?? Deno.env.toObject();
  const program = resolveProgram(argv[0], {
    path: envGet(lookup, "PATH"),
    pathext: envGet(lookup, "PATHEXT"),
    cwd: absolute(cwd, Deno.cwd()),
    isFile,
  });
  if (!program) {
    throw new Deno.errors.NotFound(`Failed to spawn '${argv[0]}': program not found`);
  }

  let application = program;
  let commandLine: string;
  if (/\.(bat|cmd)$/i.test(program)) {
    application = envGet(lookup, "ComSpec") ?? "C:\\Windows\\System32\\cmd.exe";
    commandLine = batchCommandLine(program, argv.slice(1));
  } else {
    commandLine = quoteWindowsArgs(argv);
  }

  const isolation = options.isolation ?? "console";
  let flags = CREATE_UNICODE_ENVIRONMENT | ISOLATION_FLAGS[isolation];
  if (options.suspended) flags |= CREATE_SUSPENDED;

  const info = new Uint8Array(STARTUPINFOEXW.size);
  const view = new DataView(info.buffer);
  let dwFlags = 0;
  if (isolation === "hidden-console") {
    dwFlags |= STARTF_USESHOWWINDOW;
    view.setUint16(STARTUPINFOEXW.wShowWindow, SW_HIDE, true);
  }
  const std: Deno.PointerValue[] = [];
  const relays: NonNullable<ReturnType<typeof consoleRelay>>[] = [];
  const reads: Deno.PointerValue[] = [];
  const stdio = options.stdio ?? "inherit";
  let started = false;
  let attribute: ReturnType<typeof handleListAttribute>;
  try {
    if (stdio === "piped") {
      std.push(inheritableNul());
      for (let i = 0; i < 2; i++) {
        const pipe = outputPipe();
        reads.push(pipe.read);
        std.push(pipe.write);
      }
    } else if (stdio === "inherit") {
      const streams = [undefined, Deno.stdout, Deno.stderr];
      const ownConsole = isolation !== "none" && isolation !== "group";
      for (const [i, which] of [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE].entries()) {
        const stream = streams[i];
        const relay = stream && ownConsole && isConsole(k.GetStdHandle(which))
          ? consoleRelay(stream)
          : undefined;
        if (relay) relays.push(relay);
        std.push(relay ? relay.write : inheritableStdHandle(which));
      }
    }
    if (stdio !== "none") {
      dwFlags |= STARTF_USESTDHANDLES;
      const values = std.map((h) => h === null ? 0n : BigInt(Deno.UnsafePointer.value(h)));
      view.setBigUint64(STARTUPINFOEXW.hStdInput, values[0], true);
      view.setBigUint64(STARTUPINFOEXW.hStdOutput, values[1], true);
      view.setBigUint64(STARTUPINFOEXW.hStdError, values[2], true);
      const inherited = values.filter((v) => v !== 0n);
      if (inherited.length > 0) attribute = handleListAttribute(inherited);
    }
    view.setUint32(STARTUPINFOEXW.dwFlags, dwFlags, true);
    if (attribute) {
      flags |= EXTENDED_STARTUPINFO_PRESENT;
      view.setUint32(STARTUPINFOEXW.cb, STARTUPINFOEXW.size, true);
      view.setBigUint64(
        STARTUPINFOEXW.lpAttributeList,
        BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(attribute.list))),
        true,
      );
    } else {
      view.setUint32(STARTUPINFOEXW.cb, 104, true); // a plain STARTUPINFOW
    }

    const processInfo = new Uint8Array(PROCESS_INFORMATION.size);
    const ok = k.CreateProcessW(
      wstr(application),
      wstr(commandLine),
      null,
      null,
      std.some((h) => h !== null) ? 1 : 0,
      flags,
      env ? environmentBlock(env) : null,
      options.cwd === undefined ? null : wstr(options.cwd),
      info,
      processInfo,
    );
    if (!ok) throw spawnError(k.GetLastError(), argv[0]);
    started = true;
    const out = new DataView(processInfo.buffer);
    return {
      pid: out.getUint32(PROCESS_INFORMATION.dwProcessId, true),
      process: Deno.UnsafePointer.create(out.getBigUint64(PROCESS_INFORMATION.hProcess, true)),
      thread: Deno.UnsafePointer.create(out.getBigUint64(PROCESS_INFORMATION.hThread, true)),
      program,
      commandLine,
      relayed: Promise.all(relays.map((r) => r.relay())).then(() => {}),
      stdout: reads.length ? pipeReadable(reads[0]) : null,
      stderr: reads.length ? pipeReadable(reads[1]) : null,
    };
  } finally {
    attribute?.delete();
    // The child has its own copies now: once its tree has closed them, the
    // pipes' readers see their end.
    std.forEach(closeHandle);
    if (!started) {
      relays.forEach((r) => r.discard());
      reads.forEach(closeHandle);
    }
  }
}
