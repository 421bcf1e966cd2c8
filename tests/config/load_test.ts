import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/mod.ts";

async function loadErrors(file: string): Promise<string[]> {
  const error = await loadConfig(file, { env: {} }).then(
    () => assert.fail("expected loadConfig to fail"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
  return error.message.split("\n");
}

Deno.test("loadConfig reads and validates a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "agent.yaml");
    await Deno.writeTextFile(file, "budget: 12s\nsteps:\n  - name: a\n    run: echo ${WHO}\n");
    const config = await loadConfig(file, { env: { WHO: "me" } });
    assert.equal(config.source, file);
    assert.equal(config.budgetMs, 12_000);
    assert.deepStrictEqual(config.steps[0], {
      kind: "step",
      step: {
        name: "a",
        run: "echo me",
        when: "before",
        continueOnError: true,
        shell: "dax",
        env: {},
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig names the file as given in messages", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "bad.yaml"), "budget: 10\nbudgit: 1s\n");
    // A relative path, as a user would type it (no chdir: tests run in parallel).
    const given = relative(Deno.cwd(), join(dir, "bad.yaml"));
    assert.deepStrictEqual(await loadErrors(given), [
      `${given}:2:1: unknown key "budgit" (did you mean "budget"?)`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig: an empty file is all defaults, with source set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "empty.yaml");
    await Deno.writeTextFile(file, "");
    const config = await loadConfig(file, { env: {} });
    assert.equal(config.source, file);
    assert.equal(config.budgetMs, 30_000);
    assert.deepStrictEqual(config.steps, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig: a UTF-8 byte order mark is fine", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "bom.yaml");
    await Deno.writeFile(
      file,
      new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("budget: 2s\n")]),
    );
    assert.equal((await loadConfig(file, { env: {} })).budgetMs, 2000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig: file-level problems have no position", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = join(dir, "missing.yaml");
    assert.deepStrictEqual(await loadErrors(missing), [`${missing}: file not found`]);

    assert.deepStrictEqual(await loadErrors(dir), [`${dir}: is a directory, not a config file`]);

    const binary = join(dir, "binary.yaml");
    await Deno.writeFile(binary, new Uint8Array([0x62, 0x00, 0x01, 0x02]));
    assert.deepStrictEqual(await loadErrors(binary), [
      `${binary}: looks like a binary file, not YAML text`,
    ]);

    const latin1 = join(dir, "latin1.yaml");
    await Deno.writeFile(latin1, new Uint8Array([0x62, 0x3a, 0x20, 0xe9, 0x0a]));
    assert.deepStrictEqual(await loadErrors(latin1), [`${latin1}: is not valid UTF-8 text`]);

    const utf16 = join(dir, "utf16.yaml");
    await Deno.writeFile(utf16, new Uint8Array([0xff, 0xfe, 0x62, 0x00, 0x3a, 0x00]));
    assert.deepStrictEqual(await loadErrors(utf16), [
      `${utf16}: is UTF-16 text; save it as UTF-8`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "loadConfig: an unreadable file is a file-level problem",
  ignore: Deno.build.os === "windows" || Deno.uid() === 0,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const file = join(dir, "secret.yaml");
      await Deno.writeTextFile(file, "budget: 1s\n");
      await Deno.chmod(file, 0o000);
      assert.deepStrictEqual(await loadErrors(file), [`${file}: permission denied`]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("examples/agent.yaml is valid and works without a main app", async () => {
  const file = resolve(import.meta.dirname!, "../../examples/agent.yaml");
  const config = await loadConfig(file, { env: {} });
  assert.equal(config.budgetMs, 10_000);
  assert.equal(config.main, undefined);
  const kinds = config.steps.map((entry) => entry.kind);
  assert.ok(kinds.includes("parallel"), "has a parallel group");
  const all = config.steps.flatMap((entry) => entry.kind === "step" ? [entry.step] : entry.steps);
  assert.ok(all.some((step) => step.when === "after"), "has an after-step");
  assert.ok(all.every((step) => step.shell === "dax"), "runs everywhere");
  for (const step of all) {
    assert.ok((step.timeoutMs ?? 0) <= config.budgetMs);
  }
});
