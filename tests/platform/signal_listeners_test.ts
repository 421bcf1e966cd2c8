/**
 * On Windows, Deno installs its own console handler the first time anything
 * calls `Deno.addSignalListener`, and that handler returns at once; handlers
 * run last-registered first, so one registered after the agent's would
 * pre-empt it. These checks keep every such call out of the agent's code
 * (except the POSIX platform) and out of the packages it loads.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SIGNAL_API = /Deno\.addSignalListener\s*\(|process\.(on|once|addListener)\(\s*["']SIG/;

async function* files(dir: string, ext: RegExp): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* files(path, ext);
    else if (entry.isFile && ext.test(entry.name)) yield path;
  }
}

function code(source: string): string {
  // Drop comments, so that documentation may name the API.
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

Deno.test("only the POSIX platform listens for signals", async () => {
  const offenders: string[] = [];
  for await (const path of files(join(ROOT, "src"), /\.ts$/)) {
    if (path.endsWith(join("platform", "posix.ts"))) continue;
    if (SIGNAL_API.test(code(await Deno.readTextFile(path)))) offenders.push(path);
  }
  assert.deepEqual(offenders, []);
});

Deno.test("no npm package the agent loads registers a signal listener", async () => {
  // Make sure every locked package is in the cache before looking into it.
  const install = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--frozen", "--quiet"],
    cwd: ROOT,
  }).output();
  assert.ok(install.success, new TextDecoder().decode(install.stderr));
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const npmCache: string = JSON.parse(new TextDecoder().decode(info.stdout)).npmCache;
  const lock = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.lock")));
  const packages = Object.keys(lock.npm ?? {});
  assert.ok(packages.length >= 4, "deno.lock lists the npm packages");
  const offenders: string[] = [];
  for (const id of packages) {
    const at = id.lastIndexOf("@");
    const dir = join(npmCache, "registry.npmjs.org", id.slice(0, at), id.slice(at + 1));
    for await (const path of files(dir, /\.(m|c)?js$/)) {
      if (/[\\/](bench|benchmarks|test|tests)[\\/]/.test(path.slice(dir.length))) continue;
      if (SIGNAL_API.test(await Deno.readTextFile(path))) offenders.push(path);
    }
  }
  assert.deepEqual(offenders, []);
});
