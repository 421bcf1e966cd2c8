/**
 * Bad configs: a seeded generator mutates valid configs (wrong types, unknown
 * keys, broken YAML, huge and negative values, duplicates, deep nesting,
 * binary and mis-encoded bytes, files that are not files) and every result
 * must be either valid or a ConfigError whose every line is
 * `FILE(:LINE:COL)?: message` without a stack trace. The bulk runs in-process
 * through `loadConfig`; a sample goes through the real `agent check`.
 *
 * The seed is fixed (see support.ts) and printed with any failure; set
 * `RELIABILITY_SEED` to explore others.
 */

import assert from "node:assert/strict";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ConfigError, loadConfig } from "../../src/config/mod.ts";
import { runAgent } from "../blackbox/harness.ts";
import { escapeRegExp, Rng, SEED, STACK_LINE } from "./support.ts";

/** How many mutated configs are checked in-process. */
const IN_PROCESS_CASES = 1_200;
/** How many of them also go through `agent check`. */
const CLI_SAMPLE = 30;

/** The only variables the generator references; both are passed explicitly. */
const ENV = { AGENT_FUZZ_SET: "set-value" };

const BASES: readonly string[] = [
  `version: 1
budget: 20s
events: [shutdown, ctrl-c]
log: { format: json, file: agent.log, redact: [MY_VAR] }
main:
  command: [app, --port, "8080"]
  stop_event: shutdown
  grace: 5s
steps:
  - name: deregister
    run: echo deregister \${AGENT_FUZZ_SET}
    timeout: 5s
    when: before
    continue_on_error: true
    shell: sh
    env: { KEY: value, N: 3, B: true }
    cwd: /tmp
  - parallel:
      - { name: flush, run: echo flush }
      - { name: upload, run: "echo \${AGENT_FUZZ_UNSET:-none}", timeout: 2s }
    when: after
`,
  `budget: 1m30s
steps:
  - { name: a, run: "exit 0" }
  - { name: b, run: "echo b", timeout: 1.5s, continue_on_error: false }
`,
  `events: [close]
log:
  format: text
main: { grace: 0 }
steps: []
`,
  `budget: 10
steps:
  - name: only
    run: |
      echo one
      echo two
    shell: bash
`,
];

const KNOWN_KEYS = [
  "version",
  "budget",
  "events",
  "log",
  "main",
  "steps",
  "format",
  "file",
  "redact",
  "command",
  "stop_event",
  "grace",
  "name",
  "run",
  "timeout",
  "when",
  "continue_on_error",
  "shell",
  "env",
  "cwd",
  "parallel",
];

const ODD_KEYS = [
  "timout",
  "Budget",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "",
  " ",
  "ключ",
  "💥",
  "a.b",
  "steps[0]",
  "<<",
  "1",
  "null",
];

const ODD_STRINGS = [
  "",
  " ",
  "x",
  "0",
  "0s",
  "-1s",
  "-0",
  "10s",
  "1h1h",
  "1s1h",
  "ms",
  "1.5.5s",
  "99999999h",
  "25h",
  "1e400",
  "NaN",
  ".inf",
  "-.inf",
  "${AGENT_FUZZ_UNSET}",
  "${AGENT_FUZZ_SET}",
  "${",
  "${}",
  "${1BAD}",
  "${A B}",
  "$${AGENT_FUZZ_UNSET}",
  "${AGENT_FUZZ_UNSET:-fallback}",
  "a\nb",
  "tab\there",
  "nul\u0000byte",
  "\u2028line sep",
  "é漢😀",
  "\ud800",
  "shutdown",
  "logoff",
  "before",
  "after",
  "dax",
  "cmd",
  "text",
  "json",
];

const ODD_NUMBERS = [
  0,
  -0,
  -1,
  -0.5,
  0.0001,
  1e-9,
  1,
  1.5,
  86_400,
  86_401,
  2 ** 31,
  2 ** 53 + 1,
  1e308,
  Number.MAX_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

const YAML_TOKENS = [
  ":",
  ": ",
  "- ",
  "[",
  "]",
  "{",
  "}",
  ",",
  '"',
  "'",
  "\t",
  "&a ",
  "*a",
  "*nope ",
  "!!binary ",
  "!!js/function ",
  "!custom ",
  "!!set ",
  "!!timestamp ",
  "%YAML 1.2\n",
  "%TAG ! tag:x,2000:\n",
  "---\n",
  "...\n",
  "<<: *a\n",
  "? ",
  "|",
  ">-",
  "#",
  "@",
  "`",
  "\r",
  "\n",
  "  ",
  "\u00a0",
  "\ufeff",
  "\u0085",
  "\\",
  "%",
  "${",
  "$",
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One generated case: a description (for failure messages) and the bytes of the file. */
interface Case {
  what: string;
  bytes: Uint8Array;
}

const encoder = new TextEncoder();

function randomScalar(rng: Rng): Json {
  switch (rng.int(4)) {
    case 0:
      return rng.pick(ODD_STRINGS);
    case 1:
      return rng.pick(ODD_NUMBERS);
    case 2:
      return rng.pick([true, false, null]);
    default:
      return rng.chance(0.5) ? "x".repeat(rng.pick([101, 5_000, 200_000])) : rng.int(1e6);
  }
}

function randomValue(rng: Rng, depth = 0): Json {
  const kind = depth > 3 ? 0 : rng.int(5);
  if (kind <= 2) return randomScalar(rng);
  if (kind === 3) {
    return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
  }
  const obj: Record<string, Json> = {};
  for (let i = rng.int(4); i > 0; i--) {
    obj[rng.pick(rng.chance(0.5) ? KNOWN_KEYS : ODD_KEYS)] = randomValue(rng, depth + 1);
  }
  return obj;
}

/** Every container (object or array) in `root`, with the keys to reach it. */
function containers(root: Json): { node: Json[] | Record<string, Json>; path: string }[] {
  const out: { node: Json[] | Record<string, Json>; path: string }[] = [];
  const walk = (node: Json, path: string) => {
    if (node === null || typeof node !== "object") return;
    out.push({ node, path });
    for (const [key, value] of Object.entries(node)) walk(value, `${path}.${key}`);
  };
  walk(root, "$");
  return out;
}

/** A structural mutation of the parsed base: applied to the data, then written as YAML. */
function mutateData(rng: Rng, data: Json): string {
  const all = containers(data);
  const { node, path } = rng.pick(all);
  const keys = Object.keys(node);
  const key = keys.length > 0 ? rng.pick(keys) : undefined;
  const set = (k: string, v: Json) => {
    if (Array.isArray(node)) node[Number(k) || 0] = v;
    else node[k] = v;
  };
  switch (rng.int(7)) {
    case 0:
    case 1: {
      const value = randomValue(rng);
      if (key !== undefined) set(key, value);
      return `set ${path}.${key} to ${preview(value)}`;
    }
    case 2: {
      if (key === undefined) return "no-op";
      if (Array.isArray(node)) node.splice(Number(key), 1);
      else delete node[key];
      return `delete ${path}.${key}`;
    }
    case 3: {
      const k = rng.pick(rng.chance(0.5) ? ODD_KEYS : KNOWN_KEYS);
      if (!Array.isArray(node)) node[k] = randomValue(rng);
      else node.push({ [k]: randomValue(rng) });
      return `add key ${JSON.stringify(k)} at ${path}`;
    }
    case 4: {
      // Duplicate an entry of a list: duplicate step names, duplicate events.
      if (!Array.isArray(node) || node.length === 0) return "no-op";
      node.push(structuredClone(rng.pick(node)));
      return `duplicate an item of ${path}`;
    }
    case 5: {
      // Deep nesting under a key.
      let deep: Json = rng.pick(["leaf", 1, null]);
      const depth = rng.pick([10, 100, 500]);
      for (let i = 0; i < depth; i++) deep = rng.chance(0.5) ? [deep] : { k: deep };
      if (key !== undefined) set(key, deep);
      return `nest ${depth} deep at ${path}.${key}`;
    }
    default: {
      // Many steps.
      const steps = Array.from({ length: rng.pick([100, 500]) }, (_, i) => ({
        name: `s${i % (rng.chance(0.5) ? 1_000_000 : 50)}`,
        run: "echo x",
        timeout: rng.pick(["1s", "1ms", "0s", "-1s", 3]),
      }));
      if (data && typeof data === "object" && !Array.isArray(data)) data.steps = steps;
      return `${steps.length} steps`;
    }
  }
}

function preview(value: Json): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** A textual mutation of YAML text. */
function mutateText(rng: Rng, text: string): { text: string; what: string } {
  const at = rng.int(text.length + 1);
  const lines = text.split("\n");
  const line = rng.int(lines.length);
  switch (rng.int(9)) {
    case 0:
      return { text: text.slice(0, at), what: `truncate at ${at}` };
    case 1: {
      const token = rng.pick(YAML_TOKENS);
      return {
        text: text.slice(0, at) + token + text.slice(at),
        what: `insert ${JSON.stringify(token)} at ${at}`,
      };
    }
    case 2: {
      const len = rng.range(1, 20);
      return { text: text.slice(0, at) + text.slice(at + len), what: `delete ${len} at ${at}` };
    }
    case 3:
      lines.splice(line, 0, lines[line]);
      return { text: lines.join("\n"), what: `duplicate line ${line + 1}` };
    case 4: {
      const other = rng.int(lines.length);
      [lines[line], lines[other]] = [lines[other], lines[line]];
      return { text: lines.join("\n"), what: `swap lines ${line + 1} and ${other + 1}` };
    }
    case 5: {
      const shift = rng.pick([-4, -2, -1, 1, 2, 3, 8]);
      lines[line] = shift > 0
        ? " ".repeat(shift) + lines[line]
        : lines[line].slice(Math.min(-shift, lines[line].search(/\S|$/)));
      return { text: lines.join("\n"), what: `reindent line ${line + 1} by ${shift}` };
    }
    case 6:
      return { text: `${text}---\n${text}`, what: "two documents" };
    case 7: {
      // An alias bomb (billion laughs) under a key.
      const levels = rng.range(3, 9);
      let bomb = 'x: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
      for (let i = 1; i < levels; i++) {
        bomb += `x${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(", ")}]\n`;
      }
      return { text: bomb + text, what: `alias bomb, ${levels} levels` };
    }
    default: {
      // Deep nesting written as text (too deep for any recursive writer): flow style,
      // compact block sequences (`- - - x`) or indented mappings.
      const depth = rng.pick([300, 1_000, 5_000, 20_000]);
      const style = rng.pick(["flow", "compact", "indented"]);
      const deep = style === "flow"
        ? `steps: ${"[".repeat(depth)}${"]".repeat(depth)}\n`
        : style === "compact"
        ? `steps:\n${"- ".repeat(depth)}x\n`
        : `steps:\n${
          Array.from({ length: Math.min(depth, 300) }, (_, i) => `${" ".repeat(i + 1)}k${i}:`)
            .join("\n")
        } x\n`;
      return {
        text: deep + text.replace(/^steps:/m, "old_steps:"),
        what: `${depth} deep, ${style}`,
      };
    }
  }
}

/** A byte-level mutation: encodings, binary data, invalid UTF-8. */
function mutateBytes(rng: Rng, text: string): Case {
  const utf8 = encoder.encode(text);
  switch (rng.int(10)) {
    case 0:
      return { what: "empty file", bytes: new Uint8Array() };
    case 1: {
      const bytes = new Uint8Array(rng.range(1, 4_096));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      return { what: `${bytes.length} random bytes`, bytes };
    }
    case 2: {
      const bytes = new Uint8Array(rng.range(1, 512));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.range(1, 255);
      return { what: `${bytes.length} random bytes without NUL`, bytes };
    }
    case 3:
    case 4: {
      const bad = rng.pick([[0xff], [0xc3, 0x28], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [
        0xf4,
        0x90,
        0x80,
        0x80,
      ], [0xe2, 0x82]]);
      const at = rng.int(utf8.length + 1);
      return {
        what: `invalid UTF-8 ${bad.map((b) => b.toString(16))} at ${at}`,
        bytes: new Uint8Array([...utf8.subarray(0, at), ...bad, ...utf8.subarray(at)]),
      };
    }
    case 5:
    case 6: {
      const le = rng.chance(0.5);
      const bom = rng.chance(0.7);
      const out = new Uint8Array((bom ? 2 : 0) + text.length * 2);
      let o = 0;
      if (bom) {
        out[o++] = le ? 0xff : 0xfe;
        out[o++] = le ? 0xfe : 0xff;
      }
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        out[o++] = le ? c & 0xff : c >> 8;
        out[o++] = le ? c >> 8 : c & 0xff;
      }
      return { what: `UTF-16${le ? "LE" : "BE"}${bom ? " with BOM" : ""}`, bytes: out };
    }
    case 7:
      return {
        what: "UTF-8 BOM",
        bytes: new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]),
      };
    case 8:
      return { what: "CRLF line ends", bytes: encoder.encode(text.replaceAll("\n", "\r\n")) };
    default: {
      const at = rng.int(utf8.length + 1);
      return {
        what: `NUL at ${at}`,
        bytes: new Uint8Array([...utf8.subarray(0, at), 0, ...utf8.subarray(at)]),
      };
    }
  }
}

/** The `i`th case of the run; deterministic for a given seed. */
function generate(rng: Rng): Case {
  const base = rng.pick(BASES);
  const roll = rng.next();
  if (roll < 0.45) {
    const data = parseYaml(base) as Json;
    const whats: string[] = [];
    for (let n = rng.range(1, 3); n > 0; n--) whats.push(mutateData(rng, data));
    let text: string;
    try {
      text = stringifyYaml(data, { aliasDuplicateObjects: false });
    } catch {
      text = JSON.stringify(data); // JSON is YAML too
    }
    return { what: whats.join("; "), bytes: encoder.encode(text) };
  }
  if (roll < 0.85) {
    let text = base;
    const whats: string[] = [];
    for (let n = rng.range(1, 3); n > 0; n--) {
      const m = mutateText(rng, text);
      text = m.text;
      whats.push(m.what);
    }
    return { what: whats.join("; "), bytes: encoder.encode(text) };
  }
  return mutateBytes(rng, base);
}

/** The outcome of loading one file: "valid", or the error lines. */
type Outcome = { valid: true } | { valid: false; lines: string[] };

async function load(file: string): Promise<Outcome> {
  try {
    await loadConfig(file, { env: ENV });
    return { valid: true };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    assert.ok(error.problems.length > 0, "a ConfigError lists at least one problem");
    return { valid: false, lines: error.message.split("\n") };
  }
}

function assertErrorLines(file: string, lines: readonly string[], context: string): void {
  const head = new RegExp(`^${escapeRegExp(file)}(:\\d+:\\d+)?: \\S`);
  for (const line of lines) {
    assert.match(line, head, `every line names the file${context}`);
    assert.doesNotMatch(line, STACK_LINE, `no stack trace${context}`);
  }
}

/** Files that are not config files at all; as root, chmod 000 does not stop reads. */
async function specialFiles(dir: string): Promise<{ what: string; file: string }[]> {
  const out: { what: string; file: string }[] = [];
  const add = (what: string, file: string) => out.push({ what, file });
  await Deno.mkdir(`${dir}/a-directory.yaml`);
  add("a directory", `${dir}/a-directory.yaml`);
  add("a missing file", `${dir}/missing.yaml`);
  add("a missing folder", `${dir}/missing/agent.yaml`);
  await Deno.writeTextFile(`${dir}/plain`, "budget: 1s\n");
  add("a path through a regular file", `${dir}/plain/agent.yaml`);
  await Deno.symlink(`${dir}/nowhere`, `${dir}/dangling.yaml`);
  add("a dangling symlink", `${dir}/dangling.yaml`);
  await Deno.symlink(`${dir}/loop-b.yaml`, `${dir}/loop-a.yaml`);
  await Deno.symlink(`${dir}/loop-a.yaml`, `${dir}/loop-b.yaml`);
  add("a symlink loop", `${dir}/loop-a.yaml`);
  await Deno.writeTextFile(`${dir}/mode-000.yaml`, "budget: [\n");
  await Deno.chmod(`${dir}/mode-000.yaml`, 0o000);
  add("a file with mode 000 (still readable by root)", `${dir}/mode-000.yaml`);
  if (Deno.build.os === "linux") {
    // Unreadable even for root: reading /proc/self/mem at offset 0 fails with EIO.
    add("/proc/self/mem (EIO)", "/proc/self/mem");
    // A socket cannot be opened as a file (ENXIO).
    const listener = Deno.listen({ transport: "unix", path: `${dir}/socket.yaml` });
    listener.close();
    // close() removes nothing: the socket file stays, with nobody listening.
    try {
      await Deno.lstat(`${dir}/socket.yaml`);
      add("a unix socket", `${dir}/socket.yaml`);
    } catch { /* not kept on this OS */ }
  }
  return out;
}

Deno.test(`${IN_PROCESS_CASES} mutated configs are valid or clean ConfigErrors (seed ${SEED})`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "agent-fuzz-" });
  const rng = new Rng(SEED);
  const stats = { valid: 0, invalid: 0 };
  try {
    for (let i = 0; i < IN_PROCESS_CASES; i++) {
      const c = generate(rng);
      const file = `${dir}/case-${i}.yaml`;
      await Deno.writeFile(file, c.bytes);
      const context = `\nseed ${SEED}, case ${i}: ${c.what}\n` +
        `file (first 400 bytes): ${
          JSON.stringify(new TextDecoder().decode(c.bytes.slice(0, 400)))
        }`;
      let outcome: Outcome;
      try {
        outcome = await load(file);
      } catch (error) {
        assert.fail(`not a ConfigError: ${(error as Error)?.stack ?? error}${context}`);
      }
      if (outcome.valid) stats.valid++;
      else {
        stats.invalid++;
        assertErrorLines(file, outcome.lines, context);
      }
      await Deno.remove(file);
    }
    for (const { what, file } of await specialFiles(dir)) {
      const outcome = await load(file);
      if (!outcome.valid) assertErrorLines(file, outcome.lines, `\n${what}`);
      else assert.ok(what.includes("mode 000"), `${what} cannot be valid`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // The generator must exercise both sides, mostly the error side.
  assert.ok(stats.invalid > IN_PROCESS_CASES / 2, JSON.stringify(stats));
  assert.ok(stats.valid > 10, JSON.stringify(stats));
});

Deno.test(`agent check: a sample of ${CLI_SAMPLE} mutated configs and odd files exit 0 or 2, cleanly (seed ${SEED})`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "agent-fuzz-cli-" });
  try {
    // The same stream as the in-process test, sampled evenly.
    const rng = new Rng(SEED);
    const every = Math.floor(IN_PROCESS_CASES / CLI_SAMPLE);
    const cases: { what: string; file: string; expected?: boolean }[] = [];
    for (let i = 0; i < CLI_SAMPLE * every; i++) {
      const c = generate(rng);
      if (i % every !== 0) continue;
      const file = `${dir}/case-${i}.yaml`;
      await Deno.writeFile(file, c.bytes);
      cases.push({ what: `case ${i}: ${c.what}`, file, expected: (await load(file)).valid });
    }
    cases.push(...await specialFiles(dir));
    // A few at a time: each is a process start.
    const queue = [...cases];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const { code, stdout, stderr } = await runAgent(["check", "-c", c.file], { env: ENV });
        const context = `\nseed ${SEED}, ${c.what}\nexit ${code}\nstdout: ${
          stdout.slice(0, 2_000)
        }\nstderr: ${stderr.slice(0, 2_000)}`;
        assert.ok(code === 0 || code === 2, `exit 0 or 2${context}`);
        if (c.expected !== undefined) {
          assert.equal(code === 0, c.expected, `agrees with loadConfig${context}`);
        }
        if (code === 2) {
          const lines = stderr.split("\n").filter((l) => l !== "");
          assert.ok(lines.length > 0, `an error is printed${context}`);
          assertErrorLines(c.file, lines, context);
        }
        assert.doesNotMatch(stdout + stderr, STACK_LINE, `no stack trace${context}`);
        assert.doesNotMatch(stderr, /Internal error/, context);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
