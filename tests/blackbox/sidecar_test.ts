/**
 * Sidecar mode, black-box: the agent waits for an event, then runs the steps.
 * Runs in every lane (POSIX signals, or CtrlRoutine under Wine).
 */

import assert from "node:assert/strict";
import {
  alive,
  LANE,
  POSIX,
  posixPath,
  readOr,
  startAgent,
  waitForFile,
  withConfig,
} from "./harness.ts";

Deno.test("an event runs the steps in order and the agent exits 0", async () => {
  await using cfg = await withConfig(`
budget: 20s
steps:
  - { name: first, run: "echo one > first.txt" }
  - { name: second, run: "echo two" }
  - { name: third, run: "echo three" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
  const ready = await agent.waitFor("ready");
  assert.equal(ready.fields.mode, "sidecar");
  assert.equal(posixPath(ready.fields.config), cfg.config);
  assert.deepEqual(agent.named("step.start"), [], "no step runs before the event");
  await agent.send("shutdown");
  assert.equal(await agent.exited, 0, agent.transcript());
  assert.deepEqual(agent.named("step.start").map((r) => r.fields.step), [
    "first",
    "second",
    "third",
  ]);
  const ends = agent.named("step.end");
  assert.deepEqual(ends.map((r) => [r.fields.step, r.fields.outcome, r.fields.exit_code]), [
    ["first", "ok", "0"],
    ["second", "ok", "0"],
    ["third", "ok", "0"],
  ]);
  assert.equal((await readOr(`${cfg.dir}/first.txt`)).trim(), "one");
  assert.deepEqual(agent.output("second"), ["two"]);
  const event = agent.named("event")[0];
  assert.equal(event.fields.event, "shutdown");
  assert.equal(event.fields.source, LANE === "windows" ? "console" : "signal");
  const done = agent.named("done")[0];
  assert.equal(done.fields.outcome, "ok");
  assert.equal(done.fields.exit_code, "0");
});

Deno.test("a failing step makes the exit code 1 but later steps still run", async () => {
  await using cfg = await withConfig(`
steps:
  - { name: breaks, run: "exit 3" }
  - { name: after-it, run: "echo still here" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
  await agent.ready();
  await agent.send("shutdown");
  assert.equal(await agent.exited, 1, agent.transcript());
  const ends = agent.named("step.end");
  assert.deepEqual(ends.map((r) => [r.fields.step, r.fields.outcome, r.fields.exit_code]), [
    ["breaks", "failed", "3"],
    ["after-it", "ok", "0"],
  ]);
  assert.equal(agent.named("done")[0].fields.outcome, "failed");
});

Deno.test("continue_on_error: false skips every later step", async () => {
  await using cfg = await withConfig(`
steps:
  - { name: must-work, run: "exit 1", continue_on_error: false }
  - { name: never, run: "echo no > never.txt" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
  await agent.ready();
  await agent.send("shutdown");
  assert.equal(await agent.exited, 1);
  const never = agent.named("step.end").find((r) => r.fields.step === "never")!;
  assert.equal(never.fields.outcome, "skipped");
  assert.match(never.fields.reason, /must-work/);
  assert.equal(await readOr(`${cfg.dir}/never.txt`), "");
});

Deno.test("a second event while the sequence runs does not run any step twice", async () => {
  await using cfg = await withConfig(`
steps:
  - { name: slow, run: "echo x >> count.txt && sleep ${POSIX ? 1.5 : 5}" }
  - { name: tail, run: "echo y >> count.txt" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
  await agent.ready();
  await agent.send("shutdown");
  await agent.waitFor("step.start");
  // Both repeats are sent while the first step still runs (Wine starts a trigger in about 1 s).
  await Promise.all([agent.send("ctrl-c"), agent.send("shutdown")]);
  assert.equal(await agent.exited, 0, agent.transcript());
  assert.equal(agent.named("step.start").length, 2);
  assert.equal((await readOr(`${cfg.dir}/count.txt`)).trim().split(/\r?\n/).join(","), "x,y");
  if (POSIX) {
    // Windows runs console handlers under the console's lock: a second console event
    // reaches the agent only after the first is released, when the agent is exiting.
    const ignored = agent.named("event.ignored");
    assert.equal(ignored.length, 2, agent.transcript());
    // Two different signals sent back to back may arrive in either order.
    assert.deepEqual(ignored.map((r) => r.fields.event).sort(), ["ctrl-c", "shutdown"]);
  }
});

Deno.test("parallel members run at the same time, and the group ends when all have", async () => {
  await using cfg = await withConfig(`
steps:
  - parallel:
      - { name: a, run: "sleep 1" }
      - { name: b, run: "sleep 1" }
      - { name: c, run: "sleep 1" }
  - { name: after-group, run: "echo done" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
  await agent.ready();
  await agent.send("shutdown");
  assert.equal(await agent.exited, 0, agent.transcript());
  const starts = agent.named("step.start");
  const ends = agent.named("step.end");
  const startOf = (s: string) => starts.findIndex((r) => r.fields.step === s);
  const endOf = (s: string) => ends.findIndex((r) => r.fields.step === s);
  // All three started before any of them ended: they overlapped.
  const firstEnd = Date.parse(ends[0].ts);
  for (const s of ["a", "b", "c"]) {
    assert.ok(Date.parse(starts[startOf(s)].ts) <= firstEnd, `${s} started after a member ended`);
  }
  assert.equal(endOf("after-group"), 3, "the next step waits for the whole group");
  // Generous bound: three 1 s sleeps in sequence would take 3 s. Not under Wine, where
  // each dax step first starts a Windows Deno (about 1 s): the overlap above proves it there.
  const groupMs = Date.parse(ends[2].ts) - Date.parse(starts[0].ts);
  if (POSIX) assert.ok(groupMs < 2_900, `group took ${groupMs} ms`);
});

Deno.test("a step that outlives its timeout is killed and recorded as timeout", async () => {
  await using cfg = await withConfig(`
budget: 30s
steps:
  - { name: hangs, run: "sleep 60", timeout: 1s }
  - { name: next, run: "echo next" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
  await agent.ready();
  const t0 = Date.now();
  await agent.send("shutdown");
  assert.equal(await agent.exited, 1, agent.transcript());
  const hangs = agent.named("step.end").find((r) => r.fields.step === "hangs")!;
  assert.equal(hangs.fields.outcome, "timeout");
  assert.equal(agent.named("step.end").find((r) => r.fields.step === "next")!.fields.outcome, "ok");
  assert.ok(Date.now() - t0 < 20_000, "the 60 s step was not waited for");
});

Deno.test("the budget kills the running step, skips the rest, and the agent exits soon after", async () => {
  await using cfg = await withConfig(`
budget: 2s
steps:
  - { name: quick, run: "echo quick" }
  - { name: hangs, run: "sleep 60" }
  - { name: skipped-1, run: "echo never" }
  - parallel:
      - { name: skipped-2, run: "echo never" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
  await agent.ready();
  await agent.send("shutdown");
  const event = await agent.waitFor("event");
  assert.equal(await agent.exited, 1, agent.transcript());
  const done = agent.named("done")[0];
  assert.equal(done.fields.outcome, "timeout");
  const outcomes = Object.fromEntries(
    agent.named("step.end").map((r) => [r.fields.step, r.fields.outcome]),
  );
  assert.deepEqual(outcomes, {
    "quick": "ok",
    "hangs": "timeout",
    "skipped-1": "skipped",
    "skipped-2": "skipped",
  });
  // Documented margin: the agent ends within 1 s of the budget (generous bound here).
  const overrun = Date.parse(done.ts) - Date.parse(event.ts) - 2_000;
  assert.ok(overrun < 1_000, `done came ${overrun} ms after the budget`);
});

Deno.test("records also go to log.file", async () => {
  await using cfg = await withConfig(`
log: { file: agent.log }
steps:
  - { name: hello, run: "echo hello" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
  await agent.ready();
  await agent.send("shutdown");
  assert.equal(await agent.exited, 0);
  const file = await waitForFile(`${cfg.dir}/agent.log`);
  for (const msg of ["ready", "event", "step.start", "step.end", "done"]) {
    assert.ok(file.includes(msg), `${msg} missing from the log file:\n${file}`);
  }
  assert.ok(file.includes("hello"), "step output is in the log file too");
});

Deno.test({
  name: "a timed-out step is killed with its whole process tree",
  ignore: !POSIX,
  async fn() {
    await using cfg = await withConfig(`
steps:
  - name: tree
    shell: sh
    timeout: 1s
    run: "sleep 300 & echo $! > child.pid; sh -c 'sleep 300 & echo $! > grandchild.pid; wait' & wait"
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    await agent.ready();
    await agent.send("shutdown");
    assert.equal(await agent.exited, 1, agent.transcript());
    const pids = [
      Number(await waitForFile(`${cfg.dir}/child.pid`)),
      Number(await waitForFile(`${cfg.dir}/grandchild.pid`)),
    ];
    for (const pid of pids) assert.ok(!alive(pid), `process ${pid} of the step survived`);
  },
});

Deno.test({
  name: "whatever a step leaves behind in its process group is killed when it ends",
  ignore: !POSIX,
  async fn() {
    await using cfg = await withConfig(`
steps:
  - { name: leaves-daemon, shell: sh, run: "sleep 300 > /dev/null 2>&1 & echo $! > daemon.pid" }
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    await agent.ready();
    await agent.send("shutdown");
    assert.equal(await agent.exited, 0, agent.transcript());
    const pid = Number(await waitForFile(`${cfg.dir}/daemon.pid`));
    assert.ok(!alive(pid), `the step's background process ${pid} survived`);
  },
});

Deno.test({
  name: "each configured signal starts the shutdown; an unconfigured one does not",
  ignore: !POSIX,
  async fn() {
    for (
      const [event, signal] of [["ctrl-c", "SIGINT"], ["close", "SIGHUP"], [
        "ctrl-break",
        "SIGQUIT",
      ]]
    ) {
      await using cfg = await withConfig(`
events: [${event}]
steps:
  - { name: s, run: "echo ran" }
`);
      const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
      await agent.ready();
      await agent.send(event);
      assert.equal(await agent.exited, 0, agent.transcript());
      const rec = agent.named("event")[0];
      assert.equal(rec.fields.event, event);
      assert.equal(rec.fields.detail, signal);
    }
    // SIGTERM is not configured here, so the OS default applies: the agent dies, no steps run.
    await using cfg = await withConfig(`
events: [ctrl-c]
steps:
  - { name: s, run: "echo ran" }
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    await agent.ready();
    await agent.send("shutdown");
    assert.equal(await agent.exited, 143);
    assert.equal(agent.named("step.start").length, 0);
  },
});

Deno.test("secret values from the environment never reach the log", async () => {
  await using cfg = await withConfig(`
log: { file: agent.log, redact: [PLAIN_NAME] }
steps:
  - { name: leak, run: "echo token=$API_TOKEN plain=$PLAIN_NAME" }
`);
  const env = { API_TOKEN: "s3cr3t-value-123", PLAIN_NAME: "visible-but-listed" };
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir, env });
  await agent.ready();
  await agent.send("shutdown");
  assert.equal(await agent.exited, 0, agent.transcript());
  const everything = agent.transcript() + (await readOr(`${cfg.dir}/agent.log`));
  assert.ok(!everything.includes(env.API_TOKEN), everything);
  assert.ok(!everything.includes(env.PLAIN_NAME), everything);
  assert.deepEqual(agent.output("leak"), ["token=*** plain=***"]);
});

Deno.test("every 5 s of a shutdown a waiting record names the running steps", async () => {
  await using cfg = await withConfig(`
budget: 20s
steps:
  - { name: long-one, run: "sleep 6" }
`);
  const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
  await agent.ready();
  await agent.send("shutdown");
  assert.equal(await agent.exited, 0, agent.transcript());
  const waiting = agent.named("waiting");
  assert.ok(waiting.length >= 1, agent.transcript());
  assert.equal(waiting[0].fields.running, "long-one");
  assert.ok(Number(waiting[0].fields.elapsed_ms) >= 4_000, waiting[0].fields.elapsed_ms);
  const left = Number(waiting[0].fields.budget_left_ms);
  assert.ok(left > 0 && left <= 16_000, String(left));
});

/** Starts the agent on a FIFO config: it is catching events but not ready until the FIFO is written. */
async function startLoading(): Promise<
  { agent: ReturnType<typeof startAgent>; finish: (yaml: string) => Promise<void>; dir: string }
> {
  const dir = await Deno.makeTempDir({ prefix: "agent-bb-" });
  const fifo = `${dir}/agent.yaml`;
  assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
  const agent = startAgent(["run", "-c", fifo], { cwd: dir });
  // This open returns once the agent opens the FIFO to read its config: by then it listens.
  const writer = await Deno.open(fifo, { write: true });
  return {
    agent,
    dir,
    async finish(yaml) {
      await writer.write(new TextEncoder().encode(yaml));
      writer.close();
    },
  };
}

Deno.test({
  name: "a stop that arrives while the agent is still loading is not lost",
  ignore: !POSIX,
  async fn() {
    const { agent, finish, dir } = await startLoading();
    agent.signal("SIGTERM");
    await finish(`steps: [{ name: s, run: "echo ran" }]\n`);
    assert.equal(await agent.exited, 0, agent.transcript());
    const msgs = agent.records().map((r) => r.msg)
      .filter((m) => m !== "event.unsupported" && m !== "step.output");
    assert.deepEqual(msgs.slice(0, 4), ["ready", "event", "step.start", "step.end"]);
    assert.deepEqual(agent.output("s"), ["ran"]);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "an unconfigured signal that arrives while loading still gets the OS default",
  ignore: !POSIX,
  async fn() {
    const { agent, finish, dir } = await startLoading();
    agent.signal("SIGTERM");
    await finish(`events: [ctrl-c]\nsteps: [{ name: s, run: "echo ran" }]\n`);
    assert.equal(await agent.exited, 143, agent.transcript());
    assert.equal(agent.named("step.start").length, 0);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "Windows: a console event that is not configured is passed on and runs no step",
  ignore: LANE !== "windows",
  async fn() {
    await using cfg = await withConfig(`
events: [shutdown]
steps:
  - { name: s, run: "echo ran > ran.txt" }
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    await agent.ready();
    await agent.send("ctrl-break");
    // The default console handler ends the process.
    await agent.exited;
    assert.equal(agent.named("step.start").length, 0, agent.transcript());
    assert.equal(await readOr(`${cfg.dir}/ran.txt`), "");
  },
});
