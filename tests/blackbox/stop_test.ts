/**
 * `agent stop`, black-box: the preStop path. Runs in every lane.
 */

import assert from "node:assert/strict";
import { LANE, readOr, runAgent, startAgent, withConfig } from "./harness.ts";

Deno.test("stop --wait runs the sequence, waits for it, and the later event exits at once", async () => {
  await using cfg = await withConfig(`
steps:
  - { name: drain, run: "sleep 1 && echo drained > drained.txt" }
`);
  const control = `${cfg.dir}/control.json`;
  const env = { SHUTDOWN_AGENT_CONTROL: control };
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir, env });
  const ready = await agent.waitFor("ready");
  assert.equal(ready.fields.control, control);
  const stop = await runAgent(["stop", "--wait"], { cwd: cfg.dir, env });
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /shutdown ended: ok \(exit code 0\)/);
  assert.equal(
    (await readOr(`${cfg.dir}/drained.txt`)).trim(),
    "drained",
    "done when stop returned",
  );
  assert.equal(agent.named("event")[0].fields.source, "control");
  assert.equal(agent.named("done").length, 1);

  // The agent waits for the platform's event, and then exits at once without running anything.
  await agent.send("shutdown");
  assert.equal(await agent.exited, 0, agent.transcript());
  assert.equal(agent.named("step.start").length, 1);
  assert.match(agent.named("event.ignored")[0].fields.reason, /already ran/);
  assert.equal(await readOr(control), "", "the control file is removed on exit");
});

Deno.test("stop --wait exits 1 when a step failed", async () => {
  await using cfg = await withConfig(`steps: [{ name: bad, run: "exit 5" }]\n`);
  const env = { SHUTDOWN_AGENT_CONTROL: `${cfg.dir}/control.json` };
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir, env });
  await agent.ready();
  const stop = await runAgent(["stop", "--wait"], { env });
  assert.equal(stop.code, 1, stop.stderr);
  await agent.send("shutdown");
  assert.equal(await agent.exited, 1);
});

Deno.test("stop and an event at the same time run the steps once", async () => {
  await using cfg = await withConfig(`
steps:
  - { name: once, run: "echo x >> runs.txt && sleep 1" }
`);
  const env = { SHUTDOWN_AGENT_CONTROL: `${cfg.dir}/control.json` };
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir, env });
  await agent.ready();
  const [stop] = await Promise.all([
    runAgent(["stop", "--wait"], { env }),
    agent.send("shutdown"),
  ]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(await agent.exited, 0, agent.transcript());
  assert.equal((await readOr(`${cfg.dir}/runs.txt`)).trim(), "x");
  assert.equal(agent.named("step.start").length, 1);
});

Deno.test("a caller without the token is refused (exit 77); no agent at all is exit 69", async () => {
  await using cfg = await withConfig(`steps: [{ name: s, run: "echo ran" }]\n`);
  const control = `${cfg.dir}/control.json`;
  const agent = startAgent(["run", "-c", cfg.config], {
    cwd: cfg.dir,
    env: { SHUTDOWN_AGENT_CONTROL: control },
  });
  await agent.ready();
  const real = JSON.parse(await Deno.readTextFile(control));
  const forged = `${cfg.dir}/forged.json`;
  await Deno.writeTextFile(forged, JSON.stringify({ ...real, token: "0".repeat(64) }));
  const refused = await runAgent(["stop", "--wait", "--control", forged]);
  assert.equal(refused.code, 77, refused.stderr);
  assert.match(refused.stderr, /refused/);
  await agent.waitFor("control.refused");
  assert.equal(agent.named("step.start").length, 0, "nothing ran");

  const none = await runAgent(["stop", "--control", `${cfg.dir}/nope.json`]);
  assert.equal(none.code, 69);
  assert.match(none.stderr, /No running agent/);

  await agent.send("shutdown");
  assert.equal(await agent.exited, 0);
});

Deno.test({
  name: "the control file is private to the agent's user",
  ignore: LANE === "windows",
  async fn() {
    await using cfg = await withConfig(`steps: []\n`);
    const control = `${cfg.dir}/control.json`;
    const agent = startAgent(["run", "-c", cfg.config], {
      cwd: cfg.dir,
      env: { SHUTDOWN_AGENT_CONTROL: control },
    });
    await agent.ready();
    assert.equal((await Deno.stat(control)).mode! & 0o777, 0o600);
    await agent.send("shutdown");
    await agent.exited;
  },
});
