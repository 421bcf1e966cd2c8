/**
 * Every Win32 declaration the agent uses, in one place: the FFI symbol tables
 * of kernel32.dll, user32.dll and advapi32.dll (each opened lazily, on first use), the
 * constants, the structure layouts, and small helpers (UTF-16 strings,
 * readable `GetLastError` messages).
 *
 * Nothing here runs at import time: importing this module on Linux (for type
 * checking, or from a test) opens no library.
 *
 * @module
 */

// ------------------------------------------------------------------ constants

/** Console control event numbers (wincon.h). */
export const CTRL_C_EVENT = 0;
/** See {@link CTRL_C_EVENT}. */
export const CTRL_BREAK_EVENT = 1;
/** See {@link CTRL_C_EVENT}. */
export const CTRL_CLOSE_EVENT = 2;
/** See {@link CTRL_C_EVENT}. */
export const CTRL_LOGOFF_EVENT = 5;
/** See {@link CTRL_C_EVENT}. */
export const CTRL_SHUTDOWN_EVENT = 6;

/** The native name of each console control event number. */
export const CTRL_EVENT_NAMES: Readonly<Record<number, string>> = {
  [CTRL_C_EVENT]: "CTRL_C_EVENT",
  [CTRL_BREAK_EVENT]: "CTRL_BREAK_EVENT",
  [CTRL_CLOSE_EVENT]: "CTRL_CLOSE_EVENT",
  [CTRL_LOGOFF_EVENT]: "CTRL_LOGOFF_EVENT",
  [CTRL_SHUTDOWN_EVENT]: "CTRL_SHUTDOWN_EVENT",
};

/** Process access rights (winnt.h). */
export const PROCESS_TERMINATE = 0x0001;
/** See {@link PROCESS_TERMINATE}. */
export const PROCESS_CREATE_THREAD = 0x0002;
/** See {@link PROCESS_TERMINATE}. */
export const PROCESS_VM_OPERATION = 0x0008;
/** See {@link PROCESS_TERMINATE}. */
export const PROCESS_VM_READ = 0x0010;
/** See {@link PROCESS_TERMINATE}. */
export const PROCESS_VM_WRITE = 0x0020;
/** See {@link PROCESS_TERMINATE}. */
export const PROCESS_SET_QUOTA = 0x0100;
/** See {@link PROCESS_TERMINATE}. */
export const PROCESS_QUERY_INFORMATION = 0x0400;
/** See {@link PROCESS_TERMINATE}. */
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
/** See {@link PROCESS_TERMINATE}. */
export const SYNCHRONIZE = 0x00100000;
/** See {@link PROCESS_TERMINATE}. */
export const PROCESS_ALL_ACCESS = 0x001fffff;

/** The rights `CreateRemoteThread` needs (documented minimum). */
export const PROCESS_REMOTE_THREAD_RIGHTS = PROCESS_CREATE_THREAD | PROCESS_QUERY_INFORMATION |
  PROCESS_VM_OPERATION | PROCESS_VM_WRITE | PROCESS_VM_READ;

/** `WaitForSingleObject` results and arguments. */
export const WAIT_OBJECT_0 = 0;
/** See {@link WAIT_OBJECT_0}. */
export const WAIT_TIMEOUT = 0x102;
/** See {@link WAIT_OBJECT_0}. */
export const WAIT_FAILED = 0xffffffff;
/** `GetExitCodeProcess` value of a process that is still running. */
export const STILL_ACTIVE = 259;

/** Job object information classes and limits (winnt.h). */
export const JobObjectBasicAccountingInformation = 1;
/** See {@link JobObjectBasicAccountingInformation}. */
export const JobObjectBasicProcessIdList = 3;
/** See {@link JobObjectBasicAccountingInformation}. */
export const JobObjectExtendedLimitInformation = 9;
/** Every process of the job is killed when the last handle to the job closes. */
export const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000;

/** Win32 error codes the agent tells apart. */
export const ERROR_ACCESS_DENIED = 5;
/** See {@link ERROR_ACCESS_DENIED}. */
export const ERROR_INVALID_HANDLE = 6;
/** See {@link ERROR_ACCESS_DENIED}. */
export const ERROR_INVALID_PARAMETER = 87;

/** Window messages (winuser.h). */
export const WM_DESTROY = 0x0002;
/** See {@link WM_DESTROY}. */
export const WM_CLOSE = 0x0010;
/** See {@link WM_DESTROY}. */
export const WM_QUERYENDSESSION = 0x0011;
/** See {@link WM_DESTROY}. */
export const WM_QUIT = 0x0012;
/** See {@link WM_DESTROY}. */
export const WM_ENDSESSION = 0x0016;
/** Private message of the agent's window: test aid, runs a garbage collection (WM_APP + 1). */
export const WM_APP_GC = 0x8001;
/** `lParam` flag of WM_QUERYENDSESSION / WM_ENDSESSION: the user logs off (not a shutdown). */
export const ENDSESSION_LOGOFF = 0x80000000;
/** `SendMessageTimeoutW` flags. */
export const SMTO_BLOCK = 0x0001;

/** Registry (winreg.h): the predefined key HKEY_LOCAL_MACHINE, as a sign-extended pointer value. */
export const HKEY_LOCAL_MACHINE = 0xffffffff80000002n;
/** Registry access rights (winnt.h). */
export const KEY_QUERY_VALUE = 0x0001;
/** See {@link KEY_QUERY_VALUE}. */
export const KEY_SET_VALUE = 0x0002;
/** See {@link KEY_QUERY_VALUE}: the 64-bit view of the registry, whatever the process. */
export const KEY_WOW64_64KEY = 0x0100;
/** `RegCreateKeyExW` option: the key is kept across reboots. */
export const REG_OPTION_NON_VOLATILE = 0;
/** `RegCreateKeyExW` disposition: the key did not exist and was created. */
export const REG_CREATED_NEW_KEY = 1;
/** Registry value types. */
export const REG_SZ = 1;
/** See {@link REG_SZ}. */
export const REG_EXPAND_SZ = 2;
/** See {@link REG_SZ}. */
export const REG_DWORD = 4;
/** The buffer given to `RegQueryValueExW` is too small. */
export const ERROR_MORE_DATA = 234;

// ------------------------------------------------------------------ layouts (x64)

/** `sizeof(WNDCLASSEXW)` on x64, and the offsets the agent fills. */
export const WNDCLASSEXW = {
  size: 80,
  cbSize: 0,
  lpfnWndProc: 8,
  hInstance: 24,
  lpszClassName: 64,
} as const;

/** `sizeof(MSG)` on x64. */
export const MSG_SIZE = 48;

/** `sizeof(JOBOBJECT_EXTENDED_LIMIT_INFORMATION)` on x64; LimitFlags offset. */
export const JOBOBJECT_EXTENDED_LIMIT_INFORMATION = { size: 144, LimitFlags: 16 } as const;

/** `sizeof(JOBOBJECT_BASIC_ACCOUNTING_INFORMATION)`; ActiveProcesses offset. */
export const JOBOBJECT_BASIC_ACCOUNTING_INFORMATION = { size: 48, ActiveProcesses: 40 } as const;

/** `sizeof(PROCESSENTRY32W)` on x64, and the offsets read. */
export const PROCESSENTRY32W = {
  size: 568,
  th32ProcessID: 8,
  th32ParentProcessID: 32,
  szExeFile: 44,
} as const;

/** `CreateToolhelp32Snapshot` flag: include every process. */
export const TH32CS_SNAPPROCESS = 0x2;

/** `CreateProcessW` creation flags (winbase.h). */
export const CREATE_SUSPENDED = 0x00000004;
/** See {@link CREATE_SUSPENDED}. */
export const DETACHED_PROCESS = 0x00000008;
/** See {@link CREATE_SUSPENDED}. */
export const CREATE_NEW_CONSOLE = 0x00000010;
/** See {@link CREATE_SUSPENDED}. */
export const CREATE_NEW_PROCESS_GROUP = 0x00000200;
/** See {@link CREATE_SUSPENDED}. */
export const CREATE_UNICODE_ENVIRONMENT = 0x00000400;
/** See {@link CREATE_SUSPENDED}. */
export const EXTENDED_STARTUPINFO_PRESENT = 0x00080000;
/** See {@link CREATE_SUSPENDED}. */
export const CREATE_NO_WINDOW = 0x08000000;
/** `STARTUPINFOW.dwFlags` bits, and `SW_HIDE`. */
export const STARTF_USESHOWWINDOW = 0x00000001;
/** See {@link STARTF_USESHOWWINDOW}. */
export const STARTF_USESTDHANDLES = 0x00000100;
/** See {@link STARTF_USESHOWWINDOW}. */
export const SW_HIDE = 0;
/** `GetStdHandle` arguments (the DWORD values of -10, -11, -12). */
export const STD_INPUT_HANDLE = 0xfffffff6;
/** See {@link STD_INPUT_HANDLE}. */
export const STD_OUTPUT_HANDLE = 0xfffffff5;
/** See {@link STD_INPUT_HANDLE}. */
export const STD_ERROR_HANDLE = 0xfffffff4;
/** `DuplicateHandle` option. */
export const DUPLICATE_SAME_ACCESS = 0x2;
/** `UpdateProcThreadAttribute`: the handles a child inherits, and no others. */
export const PROC_THREAD_ATTRIBUTE_HANDLE_LIST = 0x00020002;
/** `GetFileType`: a character device (a console, or NUL). */
export const FILE_TYPE_CHAR = 0x0002;
/** `CreateFileW` access, sharing and disposition (opening `NUL`). */
export const GENERIC_READ = 0x80000000;
/** See {@link GENERIC_READ}. */
export const FILE_SHARE_READ = 0x1;
/** See {@link GENERIC_READ}. */
export const FILE_SHARE_WRITE = 0x2;
/** See {@link GENERIC_READ}. */
export const OPEN_EXISTING = 3;
/** `WaitForSingleObject`: no time limit. */
export const INFINITE = 0xffffffff;
/** More Win32 error codes (winerror.h). */
export const ERROR_FILE_NOT_FOUND = 2;
/** See {@link ERROR_FILE_NOT_FOUND}. */
export const ERROR_PATH_NOT_FOUND = 3;
/** See {@link ERROR_FILE_NOT_FOUND}. */
export const ERROR_BAD_EXE_FORMAT = 193;

/** `sizeof(STARTUPINFOEXW)` on x64 (STARTUPINFOW is 104 bytes), and the offsets filled. */
export const STARTUPINFOEXW = {
  size: 112,
  cb: 0,
  dwFlags: 60,
  wShowWindow: 64,
  hStdInput: 80,
  hStdOutput: 88,
  hStdError: 96,
  lpAttributeList: 104,
} as const;

/** `sizeof(PROCESS_INFORMATION)` on x64, and its offsets. */
export const PROCESS_INFORMATION = {
  size: 24,
  hProcess: 0,
  hThread: 8,
  dwProcessId: 16,
  dwThreadId: 20,
} as const;

// ------------------------------------------------------------------ symbol tables

const KERNEL32 = {
  GetLastError: { parameters: [], result: "u32" },
  FormatMessageW: {
    parameters: ["u32", "pointer", "u32", "u32", "buffer", "u32", "pointer"],
    result: "u32",
  },
  GetCurrentProcessId: { parameters: [], result: "u32" },
  CloseHandle: { parameters: ["pointer"], result: "i32" },
  SetConsoleCtrlHandler: { parameters: ["pointer", "i32"], result: "i32" },
  OpenProcess: { parameters: ["u32", "i32", "u32"], result: "pointer" },
  GetExitCodeProcess: { parameters: ["pointer", "buffer"], result: "i32" },
  IsWow64Process: { parameters: ["pointer", "buffer"], result: "i32" },
  GetModuleHandleW: { parameters: ["buffer"], result: "pointer" },
  GetProcAddress: { parameters: ["pointer", "buffer"], result: "pointer" },
  CreateRemoteThread: {
    parameters: ["pointer", "pointer", "usize", "pointer", "pointer", "u32", "pointer"],
    result: "pointer",
  },
  WaitForSingleObject: { parameters: ["pointer", "u32"], result: "u32" },
  CreateJobObjectW: { parameters: ["pointer", "pointer"], result: "pointer" },
  SetInformationJobObject: { parameters: ["pointer", "i32", "buffer", "u32"], result: "i32" },
  QueryInformationJobObject: {
    parameters: ["pointer", "i32", "buffer", "u32", "pointer"],
    result: "i32",
  },
  AssignProcessToJobObject: { parameters: ["pointer", "pointer"], result: "i32" },
  TerminateJobObject: { parameters: ["pointer", "u32"], result: "i32" },
  CreateToolhelp32Snapshot: { parameters: ["u32", "u32"], result: "pointer" },
  Process32FirstW: { parameters: ["pointer", "buffer"], result: "i32" },
  Process32NextW: { parameters: ["pointer", "buffer"], result: "i32" },
  // Process creation (create_process.ts)
  CreateProcessW: {
    parameters: [
      "buffer", // lpApplicationName
      "buffer", // lpCommandLine (writable)
      "pointer", // lpProcessAttributes
      "pointer", // lpThreadAttributes
      "i32", // bInheritHandles
      "u32", // dwCreationFlags
      "buffer", // lpEnvironment
      "buffer", // lpCurrentDirectory
      "buffer", // lpStartupInfo (STARTUPINFOEXW)
      "buffer", // lpProcessInformation
    ],
    result: "i32",
  },
  ResumeThread: { parameters: ["pointer"], result: "u32" },
  TerminateProcess: { parameters: ["pointer", "u32"], result: "i32" },
  GetStdHandle: { parameters: ["u32"], result: "pointer" },
  GetCurrentProcess: { parameters: [], result: "pointer" },
  DuplicateHandle: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "u32", "i32", "u32"],
    result: "i32",
  },
  InitializeProcThreadAttributeList: {
    parameters: ["buffer", "u32", "u32", "buffer"],
    result: "i32",
  },
  UpdateProcThreadAttribute: {
    parameters: ["buffer", "u32", "usize", "buffer", "usize", "pointer", "pointer"],
    result: "i32",
  },
  DeleteProcThreadAttributeList: { parameters: ["buffer"], result: "void" },
  GenerateConsoleCtrlEvent: { parameters: ["u32", "u32"], result: "i32" },
  CreatePipe: { parameters: ["buffer", "buffer", "pointer", "u32"], result: "i32" },
  GetFileType: { parameters: ["pointer"], result: "u32" },
  GetConsoleMode: { parameters: ["pointer", "buffer"], result: "i32" },
  CreateFileW: {
    parameters: ["buffer", "u32", "u32", "pointer", "u32", "u32", "pointer"],
    result: "pointer",
  },
  /** Cancels the I/O pending on a handle, from any thread (a blocked ReadFileAsync returns). */
  CancelIoEx: { parameters: ["pointer", "pointer"], result: "i32" },
  /** ReadFile on a worker thread (a blocking pipe read): returns a Promise. */
  ReadFileAsync: {
    name: "ReadFile",
    parameters: ["pointer", "buffer", "u32", "buffer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  /** The same function, run on a worker thread: returns a Promise (use it for long waits). */
  WaitForSingleObjectAsync: {
    name: "WaitForSingleObject",
    parameters: ["pointer", "u32"],
    result: "u32",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

const USER32 = {
  RegisterClassExW: { parameters: ["buffer"], result: "u16" },
  CreateWindowExW: {
    parameters: [
      "u32", // dwExStyle
      "buffer", // lpClassName
      "buffer", // lpWindowName
      "u32", // dwStyle
      "i32", // x
      "i32", // y
      "i32", // nWidth
      "i32", // nHeight
      "pointer", // hWndParent
      "pointer", // hMenu
      "pointer", // hInstance
      "pointer", // lpParam
    ],
    result: "pointer",
  },
  DefWindowProcW: { parameters: ["pointer", "u32", "usize", "isize"], result: "isize" },
  DestroyWindow: { parameters: ["pointer"], result: "i32" },
  PostQuitMessage: { parameters: ["i32"], result: "void" },
  /** Blocks the calling thread (synchronous FFI call) until a message arrives. */
  GetMessageW: { parameters: ["buffer", "pointer", "u32", "u32"], result: "i32" },
  TranslateMessage: { parameters: ["buffer"], result: "i32" },
  DispatchMessageW: { parameters: ["buffer"], result: "isize" },
  PostMessageW: { parameters: ["pointer", "u32", "usize", "isize"], result: "i32" },
  FindWindowW: { parameters: ["buffer", "pointer"], result: "pointer" },
  SendMessageTimeoutW: {
    parameters: ["pointer", "u32", "usize", "isize", "u32", "u32", "buffer"],
    result: "isize",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** advapi32.dll: the registry (registry.ts). Each returns a Win32 error code (0: success). */
const ADVAPI32 = {
  RegCreateKeyExW: {
    parameters: [
      "pointer", // hKey
      "buffer", // lpSubKey
      "u32", // Reserved
      "pointer", // lpClass
      "u32", // dwOptions
      "u32", // samDesired
      "pointer", // lpSecurityAttributes
      "buffer", // phkResult
      "buffer", // lpdwDisposition
    ],
    result: "i32",
  },
  RegOpenKeyExW: { parameters: ["pointer", "buffer", "u32", "u32", "buffer"], result: "i32" },
  RegQueryValueExW: {
    parameters: ["pointer", "buffer", "pointer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  RegSetValueExW: {
    parameters: ["pointer", "buffer", "u32", "u32", "buffer", "u32"],
    result: "i32",
  },
  RegCloseKey: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The kernel32 functions, typed. */
export type Kernel32 = Deno.DynamicLibrary<typeof KERNEL32>["symbols"];
/** The user32 functions, typed. */
export type User32 = Deno.DynamicLibrary<typeof USER32>["symbols"];

/** The advapi32 functions, typed. */
export type Advapi32 = Deno.DynamicLibrary<typeof ADVAPI32>["symbols"];

let kernel32Lib: Deno.DynamicLibrary<typeof KERNEL32> | undefined;
let user32Lib: Deno.DynamicLibrary<typeof USER32> | undefined;

/** kernel32.dll, opened on first call and never closed. */
export function kernel32(): Kernel32 {
  kernel32Lib ??= Deno.dlopen("kernel32.dll", KERNEL32);
  return kernel32Lib.symbols;
}

/** user32.dll, opened on first call and never closed. */
export function user32(): User32 {
  user32Lib ??= Deno.dlopen("user32.dll", USER32);
  return user32Lib.symbols;
}

let advapi32Lib: Deno.DynamicLibrary<typeof ADVAPI32> | undefined;

/** advapi32.dll, opened on first call and never closed. */
export function advapi32(): Advapi32 {
  advapi32Lib ??= Deno.dlopen("advapi32.dll", ADVAPI32);
  return advapi32Lib.symbols;
}

// ------------------------------------------------------------------ helpers

/** A NUL-terminated UTF-16 string for a `W` function. */
export function wstr(text: string): Uint16Array<ArrayBuffer> {
  const buffer = new Uint16Array(text.length + 1);
  for (let i = 0; i < text.length; i++) buffer[i] = text.charCodeAt(i);
  return buffer;
}

/** A NUL-terminated ANSI string (for `GetProcAddress`). */
export function cstr(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const buffer = new Uint8Array(bytes.length + 1);
  buffer.set(bytes);
  return buffer;
}

/** The numeric value of a pointer (0n for null). */
export function pointerValue(pointer: Deno.PointerValue): bigint {
  return BigInt(Deno.UnsafePointer.value(pointer));
}

/** A pointer made from its numeric value (null for 0). */
export function pointerFrom(value: bigint | number): Deno.PointerValue {
  return Deno.UnsafePointer.create(BigInt(value));
}

/** The system's text for a Win32 error code, e.g. "Access is denied.". */
export function errorText(code: number): string {
  const FORMAT_MESSAGE_FROM_SYSTEM = 0x1000;
  const FORMAT_MESSAGE_IGNORE_INSERTS = 0x200;
  const buffer = new Uint16Array(512);
  let length = 0;
  try {
    length = kernel32().FormatMessageW(
      FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      null,
      code,
      0,
      buffer,
      buffer.length,
      null,
    );
  } catch {
    length = 0;
  }
  const text = String.fromCharCode(...buffer.subarray(0, length)).trim();
  return text || `Windows error ${code}`;
}

/** A Win32 call failed; `code` is its `GetLastError` value. */
export class Win32Error extends Error {
  /** The `GetLastError` value. */
  readonly code: number;
  /** Creates the error for `call`, with the system's text for `code`. */
  constructor(call: string, code: number) {
    super(`${call} failed: ${errorText(code)} (error ${code})`);
    this.name = "Win32Error";
    this.code = code;
  }
}

/** Throws a {@link Win32Error} for `call` with the current `GetLastError` value. */
export function lastError(call: string): Win32Error {
  return new Win32Error(call, kernel32().GetLastError());
}

/** Closes a handle, ignoring null and failures. */
export function closeHandle(handle: Deno.PointerValue): void {
  if (handle !== null) kernel32().CloseHandle(handle);
}

/** One process of {@link listProcesses}. */
export interface ProcessEntry {
  pid: number;
  parentPid: number;
  exe: string;
}

/** Every process of the system now (Toolhelp snapshot); for diagnostics and tests. */
export function listProcesses(): ProcessEntry[] {
  const k = kernel32();
  const snapshot = k.CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  if (!snapshot || pointerValue(snapshot) === 0xffffffffffffffffn) {
    throw lastError("CreateToolhelp32Snapshot");
  }
  const entries: ProcessEntry[] = [];
  try {
    const entry = new Uint8Array(PROCESSENTRY32W.size);
    const view = new DataView(entry.buffer);
    view.setUint32(0, PROCESSENTRY32W.size, true);
    for (let ok = k.Process32FirstW(snapshot, entry); ok; ok = k.Process32NextW(snapshot, entry)) {
      const name = new Uint16Array(entry.buffer, PROCESSENTRY32W.szExeFile, 260);
      const end = name.indexOf(0);
      entries.push({
        pid: view.getUint32(PROCESSENTRY32W.th32ProcessID, true),
        parentPid: view.getUint32(PROCESSENTRY32W.th32ParentProcessID, true),
        exe: String.fromCharCode(...name.subarray(0, end < 0 ? 260 : end)),
      });
    }
  } finally {
    closeHandle(snapshot);
  }
  return entries;
}
