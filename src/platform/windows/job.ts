/**
 * Child processes in a Job Object of their own, so the whole tree can be
 * ended: processes started by a process in a job belong to that job (unless
 * the job allows breakaway, which this one does not).
 *
 * The job has JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: when the agent exits (or
 * crashes), Windows closes its handle and ends every process left in it.
 *
 * Both ways in, by `stdio`, go through `CreateProcessW` (create_process.ts)
 * with CREATE_SUSPENDED, AssignProcessToJobObject, then ResumeThread: the
 * child is in the job before it runs a single instruction, so nothing it
 * starts can escape (not even a grandchild started at once). Its exit is
 * awaited with a `nonblocking` WaitForSingleObject (a worker thread; the
 * event loop stays free).
 * - `inherit` (the main app): it runs on a console of its own without a
 *   window (CREATE_NO_WINDOW), so the console events of the agent's console
 *   do not reach it: the agent delivers its stop event when its turn comes.
 *   It writes to the agent's stdout/stderr.
 * - `piped` (steps): stdin is `NUL`, stdout/stderr are anonymous pipes the
 *   agent reads as streams (EOF once every process of the tree has closed its
 *   copy; cancelling a stream does not wait for a read in flight). Steps keep
 *   the agent's console and process group (no creation flag, as
 *   `Deno.Command` started them before): they are short, the agent's own
 *   events reaching them is harmless (they are ended with the sequence
 *   anyway), and on the shared console the polite CTRL_SHUTDOWN_EVENT of
 *   `killTree` and `deliver` reach them as they always did (not
 *   DETACHED_PROCESS nor CREATE_NEW_PROCESS_GROUP: under Wine a CtrlRoutine
 *   thread did not run the handler of such a child). A console of their own
 *   would only matter to keep events away from them, which nothing needs.
 *
 * A process ended by the job's kill exits with {@link KILLED_EXIT_CODE} (137,
 * as a SIGKILLed process on POSIX).
 *
 * @module
 */

import type { EventName } from "../../config/types.ts";
import type { ExitStatus, ManagedProcess, SpawnOptions } from "../types.ts";
import { createProcess } from "./create_process.ts";
import { CTRL_EVENTS, deliver, deliverCtrlEvent } from "./deliver.ts";
import {
  closeHandle,
  INFINITE,
  JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION,
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
  JobObjectBasicAccountingInformation,
  JobObjectBasicProcessIdList,
  JobObjectExtendedLimitInformation,
  kernel32,
  lastError,
  PROCESS_SET_QUOTA,
  PROCESS_TERMINATE,
} from "./kernel32.ts";

/** Exit code given to processes ended by {@link Job.terminate} (128 + SIGKILL, as on POSIX). */
export const KILLED_EXIT_CODE = 137;

/** The event delivered to every process of the job as the polite request of `killTree`. */
export const POLITE_EVENT: EventName = "shutdown";

/** A kill-on-close Job Object. */
export class Job {
  #handle: Deno.PointerValue;

  /** Creates an anonymous job with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE. */
  constructor() {
    const k = kernel32();
    const handle = k.CreateJobObjectW(null, null);
    if (!handle) throw lastError("CreateJobObjectW");
    const info = new Uint8Array(JOBOBJECT_EXTENDED_LIMIT_INFORMATION.size);
    new DataView(info.buffer).setUint32(
      JOBOBJECT_EXTENDED_LIMIT_INFORMATION.LimitFlags,
      JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
      true,
    );
    if (!k.SetInformationJobObject(handle, JobObjectExtendedLimitInformation, info, info.length)) {
      const error = lastError("SetInformationJobObject");
      closeHandle(handle);
      throw error;
    }
    this.#handle = handle;
  }

  /** Whether the job handle is still open. */
  get open(): boolean {
    return this.#handle !== null;
  }

  /** Puts process `pid` in the job. Throws {@link Win32Error}. */
  assign(pid: number): void {
    if (!this.#handle) throw new Error("The job is closed");
    const k = kernel32();
    const process = k.OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, 0, pid);
    if (!process) throw lastError(`OpenProcess(${pid})`);
    try {
      if (!k.AssignProcessToJobObject(this.#handle, process)) {
        throw lastError("AssignProcessToJobObject");
      }
    } finally {
      closeHandle(process);
    }
  }

  /** Puts the process behind `process` (a handle) in the job; false when Windows refuses. */
  assignHandle(process: Deno.PointerValue): boolean {
    if (!this.#handle) return false;
    return kernel32().AssignProcessToJobObject(this.#handle, process) !== 0;
  }

  /** Ids of the processes in the job now (empty when the job is closed). */
  pids(): number[] {
    if (!this.#handle) return [];
    const max = 1024;
    const info = new BigUint64Array(1 + max); // two u32 counts, then ULONG_PTR ids
    if (
      !kernel32().QueryInformationJobObject(
        this.#handle,
        JobObjectBasicProcessIdList,
        info,
        info.byteLength,
        null,
      )
    ) return [];
    const listed = new Uint32Array(info.buffer, 4, 1)[0];
    return Array.from(info.subarray(1, 1 + Math.min(listed, max)), Number);
  }

  /** How many processes of the job are running (0 when the job is closed). */
  activeProcesses(): number {
    if (!this.#handle) return 0;
    const info = new Uint8Array(JOBOBJECT_BASIC_ACCOUNTING_INFORMATION.size);
    if (
      !kernel32().QueryInformationJobObject(
        this.#handle,
        JobObjectBasicAccountingInformation,
        info,
        info.length,
        null,
      )
    ) return 0;
    return new DataView(info.buffer).getUint32(
      JOBOBJECT_BASIC_ACCOUNTING_INFORMATION.ActiveProcesses,
      true,
    );
  }

  /** Ends every process of the job at once (exit code {@link KILLED_EXIT_CODE}). */
  terminate(): void {
    if (this.#handle) kernel32().TerminateJobObject(this.#handle, KILLED_EXIT_CODE);
  }

  /** Closes the handle; with KILL_ON_JOB_CLOSE this also ends whatever is left. */
  close(): void {
    const handle = this.#handle;
    this.#handle = null;
    closeHandle(handle);
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** {@link Platform.spawn} on Windows: suspended, in the job, resumed; see the module comment. */
export function spawn(argv: readonly string[], options: SpawnOptions): ManagedProcess {
  const k = kernel32();
  const piped = options.stdio === "piped";
  const job = new Job();
  let created: ReturnType<typeof createProcess>;
  try {
    created = createProcess(argv, {
      cwd: options.cwd,
      env: options.env,
      isolation: piped ? "none" : "console",
      stdio: piped ? "piped" : "inherit",
      suspended: true,
    });
  } catch (error) {
    job.close();
    throw error;
  }
  const { pid, process, thread, stdout, stderr } = created;
  // Refused only where jobs cannot nest (before Windows 8): run it outside a job then.
  const inJob = job.assignHandle(process);
  if (!inJob) job.close();
  if (k.ResumeThread(thread) === 0xffffffff) {
    const error = lastError("ResumeThread");
    k.TerminateProcess(process, KILLED_EXIT_CODE);
    closeHandle(thread);
    closeHandle(process);
    job.close();
    stdout?.cancel().catch(() => {});
    stderr?.cancel().catch(() => {});
    throw error;
  }
  closeHandle(thread);

  // The process handle stays open until the process has exited: it also keeps
  // the pid from being reused while the agent may still deliver to it.
  let exited = false;
  const status: Promise<ExitStatus> = k.WaitForSingleObjectAsync(process, INFINITE).then(() => {
    const code = new Uint32Array(1);
    const ok = k.GetExitCodeProcess(process, code);
    exited = true;
    closeHandle(process);
    return { code: ok ? code[0] | 0 : KILLED_EXIT_CODE };
  });

  return {
    ...managed({
      pid,
      status,
      job: inJob ? job : undefined,
      exited: () => exited,
      killLeader: () => {
        if (!exited) k.TerminateProcess(process, KILLED_EXIT_CODE);
      },
    }),
    stdout,
    stderr,
  };
}

/** What {@link managed} builds a ManagedProcess from. */
interface Started {
  pid: number;
  status: Promise<ExitStatus>;
  /** The job the process is in; undefined when it could not be put in one. */
  job: Job | undefined;
  exited(): boolean;
  /** Ends the process alone (when it is not in a job). */
  killLeader(): void;
}

/** The ManagedProcess of a started process: delivery, the polite request, the job's kill. */
function managed({ pid, status, job, exited, killLeader }: Started): ManagedProcess {
  function killAll(): void {
    if (job?.open) job.terminate();
    else if (!exited()) killLeader();
  }

  async function waitTreeGone(limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (job?.open && job.activeProcesses() > 0 && Date.now() < deadline) await delay(10);
  }

  return {
    pid,
    status,
    stdout: null,
    stderr: null,
    deliver(event: EventName) {
      if (exited()) return;
      deliver(pid, event);
    },
    async killTree({ graceMs }) {
      if (graceMs > 0 && !exited()) {
        // The polite request: CTRL_SHUTDOWN_EVENT to every process of the job
        // (the leader alone when it is not in the job).
        const targets = job?.open ? job.pids() : [pid];
        for (const target of targets) {
          try {
            deliverCtrlEvent(target, CTRL_EVENTS[POLITE_EVENT], 0);
          } catch {
            // exited meanwhile, or not ours to signal: the kill below ends it
          }
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          status,
          new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
        ]);
        clearTimeout(timer);
      }
      killAll();
      await status;
      await waitTreeGone(2000);
      job?.close();
    },
    reap() {
      killAll();
      job?.close();
    },
  };
}
