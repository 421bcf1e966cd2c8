/**
 * The pure parts of create_process.ts (command-line quoting, program lookup,
 * environment blocks), tested on any OS. The round trip through a real
 * Windows C runtime is in platform_test.ts (Wine lane).
 */

import assert from "node:assert/strict";
import {
  absolute,
  batchCommandLine,
  environmentBlock,
  mergeEnvironment,
  quoteWindowsArg,
  quoteWindowsArgs,
  resolveProgram,
} from "../../src/platform/windows/create_process.ts";

/**
 * The MSVCRT (2008+) / CommandLineToArgvW parser of every argument after the
 * first, written from its documented rules: the reference the quoting is
 * checked against.
 */
function parseArgs(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === " " || line[i] === "\t") i++;
    if (i >= line.length) return args;
    let arg = "";
    let quoted = false;
    while (i < line.length && (quoted || (line[i] !== " " && line[i] !== "\t"))) {
      if (line[i] === "\\") {
        let n = 0;
        while (line[i] === "\\") n++, i++;
        if (line[i] === '"') {
          arg += "\\".repeat(n >> 1);
          if (n % 2 === 1) arg += line[i++]; // an escaped quote
        } else {
          arg += "\\".repeat(n); // backslashes not before a quote are literal
        }
      } else if (line[i] === '"') {
        if (quoted && line[i + 1] === '"') {
          arg += '"'; // `""` inside quotes: a literal quote
          i += 2;
        } else {
          quoted = !quoted;
          i++;
        }
      } else {
        arg += line[i++];
      }
    }
    args.push(arg);
  }
}

Deno.test("quoteWindowsArg: plain arguments are left alone", () => {
  for (const arg of ["a", "--port=8080", "C:\\path\\to\\x", "a\\\\b", "ünï", "a\\"]) {
    assert.equal(quoteWindowsArg(arg), arg);
  }
});

Deno.test("quoteWindowsArg: the documented cases", () => {
  assert.equal(quoteWindowsArg(""), '""');
  assert.equal(quoteWindowsArg("a b"), '"a b"');
  assert.equal(quoteWindowsArg("a\tb"), '"a\tb"');
  assert.equal(quoteWindowsArg('a"b'), '"a\\"b"');
  assert.equal(quoteWindowsArg('a\\"b'), '"a\\\\\\"b"');
  assert.equal(quoteWindowsArg("a b\\"), '"a b\\\\"');
  assert.equal(quoteWindowsArg("C:\\Program Files\\"), '"C:\\Program Files\\\\"');
  assert.equal(quoteWindowsArg("a\\\\b c"), '"a\\\\b c"');
  assert.equal(quoteWindowsArg('"'), '"\\""');
});

Deno.test("quoteWindowsArgs: every argument comes back unchanged from the C runtime's parser", () => {
  const tricky = [
    "",
    " ",
    "a b",
    'say "hi"',
    "\\",
    "\\\\",
    'back\\"slash',
    "trailing\\",
    "trailing space\\",
    "trailing\\\\ ",
    '"',
    '""',
    '\\"',
    "tab\there",
    "new\nline",
    "%PATH%",
    "a&b|c<d>e^f",
    "ünïcödé ✓",
  ];
  const line = quoteWindowsArgs(["prog", ...tricky]);
  assert.deepEqual(parseArgs(line.slice("prog ".length)), tricky);
  // and each alone
  for (const arg of tricky) {
    assert.deepEqual(parseArgs(quoteWindowsArgs(["p", arg]).slice(2)), [arg], JSON.stringify(arg));
  }
});

Deno.test("quoteWindowsArgs: the program is quoted by its own rules", () => {
  assert.equal(quoteWindowsArgs(["app.exe"]), "app.exe");
  assert.equal(
    quoteWindowsArgs(["C:\\Program Files\\app\\app.exe", "x"]),
    '"C:\\Program Files\\app\\app.exe" x',
  );
  // a trailing backslash in the program is not an escape there
  assert.equal(quoteWindowsArgs(["C:\\dir\\"]), "C:\\dir\\");
  assert.throws(() => quoteWindowsArgs(['a"b']), TypeError);
  assert.throws(() => quoteWindowsArgs([]), TypeError);
});

Deno.test("batchCommandLine: cmd /s /c with the script and its arguments quoted", () => {
  assert.equal(
    batchCommandLine("C:\\x\\run.cmd", ["a", "b c", "x&y", ""]),
    'cmd.exe /d /e:ON /v:OFF /s /c ""C:\\x\\run.cmd" a "b c" "x&y" """',
  );
  assert.throws(() => batchCommandLine("C:\\x\\run.cmd", ['a"b']), TypeError);
});

/** A file system of `files` (case-insensitive, as NTFS). */
function fs(...files: string[]) {
  const normal = (path: string) =>
    path.toLowerCase().replaceAll("/", "\\").replaceAll("\\.\\", "\\");
  const set = new Set(files.map(normal));
  return (path: string) => set.has(normal(path));
}

Deno.test("resolveProgram: PATH, then PATHEXT, in order", () => {
  const options = {
    path: 'C:\\a;;"C:\\b c";C:\\d\\',
    pathext: ".COM;.EXE;.BAT;.CMD",
    cwd: "C:\\work",
  };
  const isFile = fs("C:\\b c\\tool.exe", "C:\\d\\tool.cmd", "C:\\a\\other.bat", "C:\\d\\x.txt");
  assert.equal(resolveProgram("tool", { ...options, isFile }), "C:\\b c\\tool.EXE");
  assert.equal(resolveProgram("tool.cmd", { ...options, isFile }), "C:\\d\\tool.cmd");
  assert.equal(resolveProgram("other", { ...options, isFile }), "C:\\a\\other.BAT");
  // a name with an executable extension is not extended further
  assert.equal(resolveProgram("tool.exe", { ...options, isFile }), "C:\\b c\\tool.exe");
  // another extension: as it is first
  assert.equal(resolveProgram("x.txt", { ...options, isFile }), "C:\\d\\x.txt");
  assert.equal(resolveProgram("missing", { ...options, isFile }), undefined);
  assert.equal(resolveProgram("", { ...options, isFile }), undefined);
  // the current directory is not searched for a bare name
  assert.equal(
    resolveProgram("local", { ...options, isFile: fs("C:\\work\\local.exe") }),
    undefined,
  );
});

Deno.test("resolveProgram: a name with a separator is taken relative to cwd", () => {
  const options = { path: "C:\\bin", cwd: "Z:\\tmp\\w" };
  const isFile = fs("Z:\\tmp\\w\\sub\\app.exe", "Z:\\opt\\deno.exe", "C:\\x\\y.exe");
  assert.equal(resolveProgram("sub\\app", { ...options, isFile }), "Z:\\tmp\\w\\sub\\app.EXE");
  assert.equal(
    resolveProgram("./sub/app.exe", { ...options, isFile }),
    "Z:\\tmp\\w\\./sub/app.exe",
  );
  // rooted (a Unix path under Wine): on the drive of cwd
  assert.equal(resolveProgram("/opt/deno.exe", { ...options, isFile }), "Z:/opt/deno.exe");
  assert.equal(resolveProgram("/opt/deno", { ...options, isFile }), "Z:/opt/deno.EXE");
  assert.equal(resolveProgram("C:\\x\\y", { ...options, isFile }), "C:\\x\\y.EXE");
  // a path is never searched in PATH
  assert.equal(resolveProgram("sub\\none", { ...options, isFile }), undefined);
  // the default PATHEXT
  assert.equal(resolveProgram("C:\\x\\y", { cwd: "C:\\", isFile }), "C:\\x\\y.EXE");
});

Deno.test("absolute: drives, roots, UNC and relative paths", () => {
  assert.equal(absolute("C:\\a", "Z:\\w"), "C:\\a");
  assert.equal(absolute("\\\\srv\\share\\a", "Z:\\w"), "\\\\srv\\share\\a");
  assert.equal(absolute("/a/b", "Z:\\w"), "Z:/a/b");
  assert.equal(absolute("a\\b", "Z:\\w"), "Z:\\w\\a\\b");
  assert.equal(absolute("a", "Z:\\"), "Z:\\a");
});

Deno.test("environment: merged case-insensitively; the block is sorted and double-NUL ended", () => {
  const merged = mergeEnvironment({ Path: "C:\\a", B: "1" }, { PATH: "C:\\b", c: "3" });
  assert.deepEqual(merged, { PATH: "C:\\b", B: "1", c: "3" });
  const block = environmentBlock({ b: "2", A: "1", "=C:": "C:\\" });
  assert.equal(String.fromCharCode(...block), "=C:=C:\\\0A=1\0b=2\0\0");
  assert.equal(String.fromCharCode(...environmentBlock({})), "\0\0");
});
