/**
 * Supervisor mode on POSIX, black-box: the agent starts the app, stops it in
 * order, and exits with its code. (Windows: tests/windows/.)
 */

import assert from "node:assert/strict";
import { alive, POSIX, readOr, startAgent, waitForFile, withConfig } from "./harness.ts";

const posixOnly = { ignore: !POSIX, sanitizeOps: true, sanitizeResources: true };

/** An app that traps SIGTERM, notes it in order.txt, and exits with `code`. */
function trappingApp(code: number): string[] {
  return [
    "sh",
    "-c",
    `trap 'echo app-got-term >> order.txt; exit ${code}' TERM; echo app-started >> order.txt; ` +
    `while :; do sleep 0.05; done`,
  ];
}

Deno.test({
  ...posixOnly,
  name: "before steps run before the app is stopped, after steps after it exited",
  async fn() {
    await using cfg = await withConfig(`
main: { grace: 5s }
steps:
  - { name: drain, run: "echo drain >> order.txt" }
  - { name: flush, when: after, run: "echo flush >> order.txt" }
`);
    const agent = startAgent(["run", "-c", cfg.config, "--", ...trappingApp(0)], { cwd: cfg.dir });
    assert.equal((await agent.waitFor("ready")).fields.mode, "supervisor");
    await waitForFile(`${cfg.dir}/order.txt`);
    await agent.send("shutdown");
    assert.equal(await agent.exited, 0, agent.transcript());
    const order = (await readOr(`${cfg.dir}/order.txt`)).trim().split("\n");
    assert.deepEqual(order, ["app-started", "drain", "app-got-term", "flush"]);
    const msgs = agent.records().map((r) => r.msg).filter((m) =>
      ["main.start", "ready", "event", "main.stop", "main.exit", "done"].includes(m)
    );
    assert.deepEqual(msgs, ["main.start", "ready", "event", "main.stop", "main.exit", "done"]);
    assert.equal(agent.named("main.stop")[0].fields.event, "shutdown");
  },
});

Deno.test({
  ...posixOnly,
  name: "the app's exit code passes through: 0, 1, 2, 255",
  async fn() {
    await Promise.all([0, 1, 2, 255].map(async (code) => {
      await using cfg = await withConfig(`steps: []\n`);
      const agent = startAgent(["run", "-c", cfg.config, "--", ...trappingApp(code)], {
        cwd: cfg.dir,
      });
      await waitForFile(`${cfg.dir}/order.txt`);
      await agent.send("shutdown");
      assert.equal(await agent.exited, code, agent.transcript());
      assert.equal(agent.named("done")[0].fields.exit_code, String(code));
    }));
  },
});

Deno.test({
  ...posixOnly,
  name: "an app killed by signal N makes the agent exit 128+N",
  async fn() {
    await using cfg = await withConfig(`steps: []\n`);
    const agent = startAgent(["run", "-c", cfg.config, "--", "sh", "-c", "kill -USR1 $$"], {
      cwd: cfg.dir,
    });
    assert.equal(await agent.exited, 128 + 10, agent.transcript());
  },
});

Deno.test({
  ...posixOnly,
  name: "an app that exits on its own runs the steps once and its code is the agent's",
  async fn() {
    await using cfg = await withConfig(`
steps:
  - { name: before-step, run: "echo b >> ran.txt" }
  - { name: after-step, when: after, run: "echo a >> ran.txt" }
`);
    const agent = startAgent(["run", "-c", cfg.config, "--", "sh", "-c", "exit 42"], {
      cwd: cfg.dir,
    });
    assert.equal(await agent.exited, 42, agent.transcript());
    assert.equal((await readOr(`${cfg.dir}/ran.txt`)).trim(), "b\na");
    assert.equal(agent.named("main.stop").length, 0, "an exited app is not stopped");
    assert.equal(agent.named("event").length, 0);
  },
});

Deno.test({
  ...posixOnly,
  name: "a command that is not found exits 127, one that cannot be executed 126",
  async fn() {
    await using cfg = await withConfig(`steps: []\n`);
    const notFound = startAgent(["run", "-c", cfg.config, "--", "no-such-command-xyz"]);
    assert.equal(await notFound.exited, 127);
    assert.match(notFound.transcript(), /Command not found: no-such-command-xyz/);
    await Deno.writeTextFile(`${cfg.dir}/not-exec.sh`, "echo hi\n", { mode: 0o644 });
    const notExec = startAgent(["run", "-c", cfg.config, "--", `${cfg.dir}/not-exec.sh`]);
    assert.equal(await notExec.exited, 126);
    assert.match(notExec.transcript(), /Cannot execute/);
  },
});

Deno.test({
  ...posixOnly,
  name: "an app that ignores its stop event is killed with its children after grace",
  async fn() {
    await using cfg = await withConfig(`
main: { grace: 1s }
steps:
  - { name: after, when: after, run: "echo after-ran" }
`);
    const app = [
      "sh",
      "-c",
      "trap '' TERM; sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' & echo $! > child.pid; " +
      "while :; do sleep 0.05; done",
    ];
    const agent = startAgent(["run", "-c", cfg.config, "--", ...app], { cwd: cfg.dir });
    const childPid = Number(await waitForFile(`${cfg.dir}/child.pid`));
    await agent.send("shutdown");
    assert.equal(await agent.exited, 137, agent.transcript());
    assert.equal(agent.named("main.kill").length, 1);
    assert.deepEqual(agent.output("after"), ["after-ran"]);
    assert.ok(!alive(childPid), `the app's child ${childPid} survived`);
  },
});

Deno.test({
  ...posixOnly,
  name: "stop_event chooses what the app is sent",
  async fn() {
    await using cfg = await withConfig(`
main: { stop_event: ctrl-c, grace: 5s }
steps: []
`);
    const app = ["sh", "-c", "trap 'exit 7' INT; trap 'exit 9' TERM; while :; do sleep 0.05; done"];
    const agent = startAgent(["run", "-c", cfg.config, "--", ...app], { cwd: cfg.dir });
    await agent.ready();
    await agent.send("shutdown");
    assert.equal(await agent.exited, 7, agent.transcript());
    assert.equal(agent.named("main.stop")[0].fields.signal, "SIGINT");
  },
});

Deno.test({
  ...posixOnly,
  name: "main.command from the config is used when no command is given",
  async fn() {
    await using cfg = await withConfig(`
main: { command: [sh, -c, "exit 5"] }
steps: []
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    assert.equal(await agent.exited, 5, agent.transcript());
  },
});
