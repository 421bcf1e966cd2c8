/**
 * Child processes in a Job Object of their own, so the whole tree can be
 * ended: processes started by a process in a job belong to that job (unless
 * the job allows breakaway, which this one does not).
 *
 * The job has JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: when the agent exits (or
 * crashes), Windows closes its handle and ends every process left in it.
 *
 * Known race: the child is started by `Deno.Command` (which exposes no
 * creation flags, so no CREATE_SUSPENDED) and assigned to the job right
 * after. A grandchild it starts in the first microseconds, before the
 * assignment, is outside the job. Closing it needs CreateProcessW through FFI
 * with CREATE_SUSPENDED (and our own stdio pipes).
 *
 * @module
 */

import type { EventName } from "../../config/types.ts";
import type { ExitStatus, ManagedProcess, SpawnOptions } from "../types.ts";
import { CTRL_EVENTS, deliver, deliverCtrlEvent } from "./deliver.ts";
import {
  closeHandle,
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

/** Exit code given to processes ended by {@link Job.terminate}. */
export const KILLED_EXIT_CODE = 1;

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

/** {@link Platform.spawn} on Windows. */
export function spawn(argv: readonly string[], options: SpawnOptions): ManagedProcess {
  const piped = options.stdio === "piped";
  const job = new Job();
  let child: Deno.ChildProcess;
  try {
    // Not `detached`: under Wine a detached child (no console) did not run its
    // console control handler when CtrlRoutine was started in it.
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: options.cwd,
      env: options.env,
      stdin: piped ? "null" : "inherit",
      stdout: piped ? "piped" : "inherit",
      stderr: piped ? "piped" : "inherit",
    }).spawn();
  } catch (error) {
    job.close();
    throw error;
  }
  const pid = child.pid;
  let inJob = true;
  try {
    job.assign(pid);
  } catch {
    // The child exited already, or may not be moved into a job: fall back to
    // ending the child alone.
    inJob = false;
    job.close();
  }
  let exited = false;
  const status: Promise<ExitStatus> = child.status.then((s) => {
    exited = true;
    return s.signal ? { code: s.code, signal: s.signal } : { code: s.code };
  });

  function killAll(): void {
    if (inJob && job.open) {
      job.terminate();
    } else if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  async function waitTreeGone(limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (job.open && job.activeProcesses() > 0 && Date.now() < deadline) await delay(10);
  }

  return {
    pid,
    status,
    stdout: piped ? child.stdout : null,
    stderr: piped ? child.stderr : null,
    deliver(event: EventName) {
      if (exited) return;
      deliver(pid, event);
    },
    async killTree({ graceMs }) {
      if (graceMs > 0 && !exited) {
        // The polite request: CTRL_SHUTDOWN_EVENT to every process of the job
        // (the leader alone when it is not in the job).
        const targets = inJob && job.open ? job.pids() : [pid];
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
      job.close();
    },
    reap() {
      killAll();
      job.close();
    },
  };
}
