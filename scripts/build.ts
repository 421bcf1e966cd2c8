/**
 * Builds the self-contained agent with `deno compile`:
 *
 *   deno task build                      dist/agent.exe (Windows) and dist/agent (Linux)
 *   deno task build --target windows     only dist/agent.exe
 *   deno task build --target linux       only dist/agent
 *   deno task build --check-inputs       only verify that every module loaded at run time is listed
 *
 * `deno compile` needs the runtime it embeds the program in (`denort`), which it
 * downloads from Deno's release server on first use and keeps in
 * `$DENO_DIR/dl/release/v<version>/denort-<target>.zip`. Where that server
 * cannot be reached, put the zip there yourself, or point `DENORT_BIN` at an
 * unzipped `denort` binary for the target. Writes `dist/SHA256SUMS`.
 *
 * @module
 */

import { fileURLToPath, pathToFileURL as toFileUrl } from "node:url";
import { join } from "node:path";
import { WORKER_MODULES } from "../src/platform/windows/mod.ts";
import { VERSION } from "../src/version.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A build target. */
export interface Target {
  /** Short name for `--target`. */
  name: "windows" | "linux";
  /** Rust target triple, as `deno compile --target` takes it. */
  triple: string;
  /** Output path, relative to the repository root. */
  output: string;
}

/** Everything `deno task build` produces. */
export const TARGETS: readonly Target[] = [
  { name: "windows", triple: "x86_64-pc-windows-msvc", output: "dist/agent.exe" },
  { name: "linux", triple: "x86_64-unknown-linux-gnu", output: "dist/agent" },
];

/**
 * Modules the static import graph does not reach and `deno compile` must be
 * told about: Worker entry points (loaded from `new URL(..., import.meta.url)`).
 */
export const EXTRA_MODULES: readonly string[] = [...WORKER_MODULES];

/**
 * Finds every module that source files load by URL rather than by import
 * (`new URL("./x.ts", import.meta.url)`), as repository-relative paths. The
 * build is complete when each of them is in {@link EXTRA_MODULES}.
 */
export async function modulesLoadedByUrl(dir = join(ROOT, "src")): Promise<string[]> {
  const found: string[] = [];
  const pattern = /new URL\(\s*["'](\.{1,2}\/[^"']+\.[jt]s)["']\s*,\s*import\.meta\.url\s*\)/g;
  for await (const path of walk(dir)) {
    if (!path.endsWith(".ts")) continue;
    const source = await Deno.readTextFile(path);
    for (const m of source.matchAll(pattern)) {
      const resolved = fileURLToPath(new URL(m[1], toFileUrl(path)));
      found.push(resolved.slice(ROOT.length).replaceAll("\\", "/"));
    }
  }
  return found.sort();
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}

/** The `deno compile` arguments for one target. */
export function compileArgs(target: Target): string[] {
  return [
    "compile",
    "--allow-all",
    "--frozen",
    "--target",
    target.triple,
    ...EXTRA_MODULES.flatMap((m) => ["--include", m]),
    "--output",
    target.output,
    "main.ts",
  ];
}

/** Where `deno compile` looks for the runtime of a target before downloading it. */
export function denortCachePath(target: Target): string {
  const denoDir = Deno.env.get("DENO_DIR") ??
    (Deno.build.os === "windows"
      ? `${Deno.env.get("LOCALAPPDATA")}\\deno`
      : `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/deno`);
  return `${denoDir}/dl/release/v${Deno.version.deno}/denort-${target.triple}.zip`;
}

async function checkInputs(): Promise<boolean> {
  const missing = (await modulesLoadedByUrl()).filter((m) => !EXTRA_MODULES.includes(m));
  for (const m of missing) console.error(`Not listed for deno compile --include: ${m}`);
  for (const m of EXTRA_MODULES) {
    try {
      await Deno.stat(`${ROOT}${m}`);
    } catch {
      console.error(`Listed for --include but missing: ${m}`);
      missing.push(m);
    }
  }
  return missing.length === 0;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function build(target: Target): Promise<boolean> {
  console.log(`Building agent ${VERSION} for ${target.triple} -> ${target.output}`);
  const result = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(target),
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  if (result.success) return true;
  if (/denort|dl\.deno\.land|error sending request|dns error/i.test(stderr)) {
    console.error(
      [
        `Cannot build for ${target.triple}: deno compile needs the Deno runtime it embeds the agent`,
        `in (denort-${target.triple}.zip), and it could not be downloaded from Deno's release`,
        `server from this machine. To build offline, do one of:`,
        `  - put that zip (from https://dl.deno.land/release/v${Deno.version.deno}/denort-${target.triple}.zip)`,
        `    at ${denortCachePath(target)}`,
        `  - or set DENORT_BIN to the unzipped denort binary for ${target.triple}`,
        `Note: the plain deno binary is not a denort; a program compiled onto it starts a REPL.`,
      ].join("\n"),
    );
  } else {
    console.error(stderr.trim());
  }
  return false;
}

if (import.meta.main) {
  const args = Deno.args;
  if (!(await checkInputs())) Deno.exit(1);
  console.log(`Compile inputs complete: main.ts plus ${EXTRA_MODULES.join(", ")}`);
  if (args.includes("--check-inputs")) Deno.exit(0);
  const i = args.indexOf("--target");
  const wanted = i >= 0 ? TARGETS.filter((t) => t.name === args[i + 1]) : TARGETS;
  if (wanted.length === 0) {
    console.error(`Unknown target; use one of: ${TARGETS.map((t) => t.name).join(", ")}`);
    Deno.exit(2);
  }
  await Deno.mkdir(`${ROOT}dist`, { recursive: true });
  let ok = true;
  const sums: string[] = [];
  for (const target of wanted) {
    if (await build(target)) {
      sums.push(`${await sha256(`${ROOT}${target.output}`)}  ${target.output.slice(5)}`);
    } else {
      ok = false;
    }
  }
  if (sums.length > 0) {
    await Deno.writeTextFile(`${ROOT}dist/SHA256SUMS`, sums.join("\n") + "\n");
    console.log(`Wrote dist/SHA256SUMS:\n${sums.join("\n")}`);
  }
  Deno.exit(ok ? 0 : 1);
}
