import assert from "node:assert/strict";
import { join } from "node:path";
import { locateConfig } from "../../src/config/mod.ts";

async function withDirs(
  fn: (dirs: { exeDir: string; cwd: string }) => void | Promise<void>,
): Promise<void> {
  const exeDir = await Deno.makeTempDir();
  const cwd = await Deno.makeTempDir();
  try {
    await fn({ exeDir, cwd });
  } finally {
    await Deno.remove(exeDir, { recursive: true });
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("locateConfig: --config wins, even when the file is missing", async () => {
  await withDirs(async ({ exeDir, cwd }) => {
    await Deno.writeTextFile(join(exeDir, "agent.yaml"), "");
    await Deno.writeTextFile(join(cwd, "agent.yaml"), "");
    assert.equal(
      locateConfig({
        explicit: "missing.yaml",
        env: { SHUTDOWN_AGENT_CONFIG: "from-env.yaml" },
        execPath: join(exeDir, "agent.exe"),
        standalone: true,
        cwd,
      }),
      "missing.yaml",
    );
  });
});

Deno.test("locateConfig: then SHUTDOWN_AGENT_CONFIG, even when the file is missing", async () => {
  await withDirs(async ({ exeDir, cwd }) => {
    await Deno.writeTextFile(join(exeDir, "agent.yaml"), "");
    await Deno.writeTextFile(join(cwd, "agent.yaml"), "");
    assert.equal(
      locateConfig({
        env: { SHUTDOWN_AGENT_CONFIG: "from-env.yaml" },
        execPath: join(exeDir, "agent.exe"),
        standalone: true,
        cwd,
      }),
      "from-env.yaml",
    );
    // An empty variable counts as unset.
    assert.equal(
      locateConfig({
        explicit: "",
        env: { SHUTDOWN_AGENT_CONFIG: "" },
        execPath: join(exeDir, "agent.exe"),
        standalone: true,
        cwd,
      }),
      join(exeDir, "agent.yaml"),
    );
  });
});

Deno.test("locateConfig: then agent.yaml beside a compiled binary", async () => {
  await withDirs(async ({ exeDir, cwd }) => {
    await Deno.writeTextFile(join(exeDir, "agent.yaml"), "");
    await Deno.writeTextFile(join(cwd, "agent.yaml"), "");
    const options = { env: {}, execPath: join(exeDir, "agent.exe"), cwd };
    assert.equal(locateConfig({ ...options, standalone: true }), join(exeDir, "agent.yaml"));
    // Not for `deno run`: the executable is deno itself.
    assert.equal(locateConfig({ ...options, standalone: false }), join(cwd, "agent.yaml"));
  });
});

Deno.test("locateConfig: then ./agent.yaml, else undefined", async () => {
  await withDirs(async ({ exeDir, cwd }) => {
    const options = { env: {}, execPath: join(exeDir, "agent.exe"), standalone: true, cwd };
    assert.equal(locateConfig(options), undefined);
    await Deno.writeTextFile(join(cwd, "agent.yaml"), "");
    assert.equal(locateConfig(options), join(cwd, "agent.yaml"));
  });
});
