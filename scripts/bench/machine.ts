/**
 * What the benchmark runs on (the machine's description for the report), and
 * the reference tools it compares with (`tini`, `dumb-init`), installed with
 * apt-get when missing.
 *
 * @module
 */

/** The machine's description, as recorded next to the results. */
export interface Machine {
  /** `nproc`: CPUs this process may use. */
  nproc: number;
  /** `model name` from /proc/cpuinfo. */
  cpu: string;
  /** MemTotal from /proc/meminfo, in GiB. */
  memoryGiB: number;
  /** PRETTY_NAME from /etc/os-release and the kernel release. */
  os: string;
  /** `deno --version`, first line. */
  deno: string;
  /** Versions of the reference tools found (or why they are missing). */
  tools: Record<string, string>;
  /** Load averages (1, 5, 15 min) when the run started and ended: other work on the machine. */
  load: { start: string; end: string };
}

/** The 1, 5 and 15 minute load averages from /proc/loadavg. */
export function loadAverage(): string {
  return readText("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

/** Runs a command and returns its trimmed stdout, or undefined when it cannot run or fails. */
export async function commandOutput(argv: readonly string[]): Promise<string | undefined> {
  try {
    const output = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) return undefined;
    const text = new TextDecoder().decode(output.stdout).trim();
    return text || new TextDecoder().decode(output.stderr).trim();
  } catch {
    return undefined;
  }
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/**
 * Describes this machine. `tools` maps a tool's name to its version line;
 * `loadAtStart` is {@link loadAverage} when the run started.
 */
export async function describeMachine(
  tools: Record<string, string>,
  loadAtStart: string,
): Promise<Machine> {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readText("/proc/cpuinfo"))?.[1]?.trim() ??
    "unknown";
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(readText("/proc/meminfo"))?.[1] ?? 0);
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readText("/etc/os-release"))?.[1] ??
    Deno.build.os;
  const nproc = Number(await commandOutput(["nproc"])) || navigator.hardwareConcurrency;
  return {
    nproc,
    cpu,
    memoryGiB: memKiB / 1024 / 1024,
    os: `${pretty}, kernel ${Deno.osRelease()} (${Deno.build.arch})`,
    deno: `deno ${Deno.version.deno} (v8 ${Deno.version.v8})`,
    tools,
    load: { start: loadAtStart, end: loadAverage() },
  };
}

/** Whether `name` is on PATH. */
export async function onPath(name: string): Promise<boolean> {
  return (await commandOutput(["sh", "-c", `command -v ${name}`])) !== undefined;
}

/**
 * Makes sure the Debian packages `names` are installed: runs `apt-get update`
 * and `apt-get install -y` for the missing ones (saying so on stderr). Returns,
 * for each name, undefined when it is available, else why it is not.
 */
export async function ensurePackages(
  names: readonly string[],
  options: { install: boolean; log: (line: string) => void },
): Promise<Record<string, string | undefined>> {
  const missing: string[] = [];
  for (const name of names) if (!await onPath(name)) missing.push(name);
  const result: Record<string, string | undefined> = {};
  if (missing.length === 0) return result;
  if (!options.install) {
    for (const name of missing) result[name] = "not installed (--no-install)";
    return result;
  }
  if (!await onPath("apt-get")) {
    for (const name of missing) result[name] = "not installed and apt-get is not available";
    return result;
  }
  options.log(`installing ${missing.join(", ")} with apt-get (apt-get update first)...`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const update = await run(["apt-get", "update", "-qq"], env);
  const install = update.ok
    ? await run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing], env)
    : update;
  for (const name of missing) {
    if (await onPath(name)) continue;
    result[name] = `apt-get failed: ${install.message || "package not installed"}`;
  }
  return result;
}

async function run(
  argv: readonly string[],
  env: Record<string, string>,
): Promise<{ ok: boolean; message: string }> {
  try {
    const output = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const message = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-1)[0];
    return { ok: output.success, message: message ?? "" };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
