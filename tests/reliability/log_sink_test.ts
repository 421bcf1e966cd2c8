/**
 * Log sink failures: a `log.file` that cannot be opened or written (missing
 * folder, a directory, a full disk) is reported once with `log.file_error`,
 * records continue on stdout, and `done` is never lost.
 *
 * The full disk is a 16 KiB tmpfs when this process may mount one (root on
 * Linux). /dev/full (a device) is refused as not a regular file.
 */

import assert from "node:assert/strict";
import { POSIX, startAgent, withConfig } from "../blackbox/harness.ts";
import { assertCompleteLog } from "./support.ts";

async function tryMountTmpfs(dir: string): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    const { success } = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=16k", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stdout: "null", stderr: "null" }).output();
}

/** Runs a shutdown with `log.file: FILE` and checks the sink failure was handled. */
async function runWithLogFile(
  file: string,
  options: { lines?: number; expectError?: boolean; dir?: string } = {},
): Promise<{ fileText: string }> {
  const lines = options.lines ?? 3;
  await using cfg = await withConfig(`
log: { file: ${JSON.stringify(file)} }
steps:
  - { name: talk, shell: sh, run: "i=0; while [ $$i -lt ${lines} ]; do echo line-$$i-$$(printf '%0400d' 0); i=$$((i+1)); done" }
  - { name: after, shell: sh, run: "echo after" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: options.dir ?? cfg.dir });
  try {
    await agent.ready();
    await agent.send("shutdown");
    assert.equal(await agent.exited, 0, agent.transcript());
    const done = assertCompleteLog(agent, ["talk", "after"]);
    assert.equal(done.fields.outcome, "ok");
    const errors = agent.named("log.file_error");
    if (options.expectError ?? true) {
      assert.equal(errors.length, 1, `reported exactly once:\n${agent.transcript()}`);
      assert.ok(errors[0].fields.file.endsWith(file.replace(/^.*\//, "")), agent.transcript());
      assert.ok(errors[0].fields.error.length > 0);
    } else {
      assert.equal(errors.length, 0, agent.transcript());
    }
    // Everything still reached stdout, step output included.
    assert.equal(agent.output("talk").length, lines);
    assert.deepEqual(agent.output("after"), ["after"]);
    assert.equal(agent.stderr.filter((l) => /\bat .*:\d+:\d+/.test(l)).length, 0);
    let fileText = "";
    // (Reading /dev/full would never end: it reads as endless zeros.)
    if (!file.startsWith("/dev/")) {
      try {
        fileText = await Deno.readTextFile(file.startsWith("/") ? file : `${cfg.dir}/${file}`);
      } catch { /* not there */ }
    }
    return { fileText };
  } finally {
    agent.kill();
  }
}

Deno.test("log.file in a folder that does not exist: reported once, stdout goes on", async () => {
  await runWithLogFile("no/such/folder/agent.log");
});

Deno.test("log.file that is a directory: reported once, stdout goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agent-logdir-" });
  try {
    await runWithLogFile(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "log.file that is a device (/dev/full): refused once, done is not lost",
  ignore: !POSIX || Deno.build.os !== "linux",
  async fn() {
    await runWithLogFile("/dev/full");
  },
});

Deno.test({
  name: "log.file on a disk that fills up during the shutdown (16 KiB tmpfs)",
  ignore: !POSIX || Deno.build.os !== "linux",
  async fn(t) {
    const mnt = await Deno.makeTempDir({ prefix: "agent-tmpfs-" });
    try {
      if (!await tryMountTmpfs(mnt)) {
        // Not root, or no mount(8): ENOSPC cannot be produced here.
        await t.step({ name: "cannot mount a tmpfs here; skipped", ignore: true, fn() {} });
        return;
      }
      try {
        // About 100 records and lines of ~420 bytes: 40 KiB, more than the disk holds.
        const { fileText } = await runWithLogFile(`${mnt}/agent.log`, { lines: 100 });
        assert.ok(fileText.length > 4_000, "the file got records until the disk was full");
        assert.ok(fileText.includes("ready"), fileText.slice(0, 500));
        assert.ok(!fileText.includes("done"), "the disk was full before the end");
      } finally {
        await unmount(mnt);
      }
    } finally {
      await Deno.remove(mnt, { recursive: true });
    }
  },
});

Deno.test("a log.file that works gets every record, done included", async () => {
  const { fileText } = await runWithLogFile("agent.log", { expectError: false });
  for (const msg of ["ready", "event", "step.start", "step.end", "done"]) {
    assert.ok(fileText.includes(msg), `${msg} in the file:\n${fileText.slice(0, 2_000)}`);
  }
});
