/**
 * Hostile steps and apps (POSIX lane, sh scripts): they ignore SIGTERM, leave
 * grandchildren that ignore it too, flood stdout without newlines, close
 * their stdout, exit while being signalled, leave daemons behind. In every
 * case the agent must end within its budget plus its documented margin, leave
 * no process of the tree running, and write a complete log.
 *
 * In the configs below `$$` is a literal `$` (config interpolation), so the
 * shell's `$$` is written `$$$$`; `$!` passes through as is.
 */

import assert from "node:assert/strict";
import { type AgentUnderTest, alive, POSIX, startAgent, withConfig } from "../blackbox/harness.ts";
import { EXIT_MARGIN_MS } from "../../src/agent.ts";
import { MAX_LINE } from "../../src/process/lines.ts";
import { assertAllGone, assertCompleteLog, EXIT_SLACK_MS, LeanAgent, readPids } from "./support.ts";

const posixOnly = { ignore: !POSIX };

/** Sends shutdown to a ready agent and returns how long it took to exit, and its code. */
async function shutDown(agent: AgentUnderTest): Promise<{ code: number; ms: number }> {
  await agent.ready();
  const t0 = Date.now();
  await agent.send("shutdown");
  const code = await agent.exited;
  return { code, ms: Date.now() - t0 };
}

function assertInBudget(ms: number, budgetMs: number, transcript: string): void {
  const bound = budgetMs + EXIT_MARGIN_MS + EXIT_SLACK_MS;
  assert.ok(ms <= bound, `the agent took ${ms} ms, more than ${bound} ms:\n${transcript}`);
}

Deno.test({
  ...posixOnly,
  name: "a step that ignores SIGTERM is killed when the budget ends; later steps are skipped",
  async fn() {
    await using cfg = await withConfig(`
budget: 2s
steps:
  - name: stubborn
    shell: sh
    run: "trap '' TERM; echo $$$$ > step.pid; while :; do sleep 0.1; done"
  - { name: never, shell: sh, run: "echo never > never.txt" }
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    const { code, ms } = await shutDown(agent);
    assert.equal(code, 1, agent.transcript());
    assertInBudget(ms, 2_000, agent.transcript());
    const done = assertCompleteLog(agent, ["stubborn", "never"]);
    assert.equal(done.fields.outcome, "timeout");
    const ends = agent.named("step.end");
    assert.deepEqual(ends.map((r) => r.fields.outcome), ["timeout", "skipped"]);
    assertAllGone(await readPids(cfg.dir, ["step.pid"]), alive);
  },
});

Deno.test({
  ...posixOnly,
  name: "grandchildren that ignore SIGTERM are killed with the step's tree",
  async fn() {
    await using cfg = await withConfig(`
budget: 4s
steps:
  - name: tree
    shell: sh
    timeout: 1s
    run: >-
      trap '' TERM; echo $$$$ > step.pid;
      sh -c 'trap "" TERM; sleep 300 & echo $$! > gc.pid; sh -c "trap \\"\\" TERM; sleep 300" & echo $$! >> gc.pid; wait' &
      echo $$! > child.pid; wait; wait
  - { name: after-it, shell: sh, run: "echo fine" }
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    const { code, ms } = await shutDown(agent);
    assert.equal(code, 1, agent.transcript());
    assertInBudget(ms, 4_000, agent.transcript());
    assertCompleteLog(agent, ["tree", "after-it"]);
    assert.deepEqual(agent.named("step.end").map((r) => r.fields.outcome), ["timeout", "ok"]);
    const pids = await readPids(cfg.dir, ["step.pid", "child.pid", "gc.pid"]);
    assert.equal(pids.length, 4, `every script wrote its pid: ${pids}`);
    assertAllGone(pids, alive);
  },
});

Deno.test({
  ...posixOnly,
  name: "megabytes of stdout without a newline arrive whole, cut into 16 KiB pieces",
  async fn() {
    const size = 8_000_000;
    await using cfg = await withConfig(`
budget: 20s
steps:
  - { name: flood, shell: sh, run: "head -c ${size} /dev/zero | tr '\\\\0' y" }
  - { name: next, shell: sh, run: "echo next" }
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    const { code } = await shutDown(agent);
    assert.equal(code, 0, agent.transcript().slice(-3_000));
    assertCompleteLog(agent, ["flood", "next"]);
    const pieces = agent.output("flood");
    assert.equal(pieces.reduce((n, p) => n + p.length, 0), size);
    assert.ok(pieces.every((p) => p.length <= MAX_LINE && /^y+$/.test(p)));
    assert.deepEqual(agent.output("next"), ["next"]);
  },
});

Deno.test({
  ...posixOnly,
  name: "an endless flood of stdout does not keep the agent past its budget",
  async fn() {
    await using cfg = await withConfig(`
budget: 2s
steps:
  - { name: flood, shell: sh, run: "echo $$$$ > step.pid; trap '' TERM; cat /dev/zero | tr '\\\\0' y" }
`);
    const agent = new LeanAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    try {
      await agent.waitFor("ready");
      const t0 = Date.now();
      agent.kill("SIGTERM");
      const code = await agent.exited;
      const ms = Date.now() - t0;
      assert.equal(code, 1, agent.transcript());
      assertInBudget(ms, 2_000, agent.transcript());
      assertCompleteLog(agent, ["flood"]);
      assert.ok(agent.outputBytes > 1_000_000, `the flood got through: ${agent.outputBytes}`);
      assertAllGone(await readPids(cfg.dir, ["step.pid"]), alive);
    } finally {
      agent.kill("SIGKILL");
    }
  },
});

Deno.test({
  ...posixOnly,
  name: "a step that closes its stdout and stderr still runs to its end",
  async fn() {
    await using cfg = await withConfig(`
budget: 5s
steps:
  - { name: closes, shell: sh, run: "echo before; exec >&- 2>&-; sleep 0.3; echo after > after.txt" }
  - name: closes-and-hangs
    shell: sh
    timeout: 1s
    run: "exec >&- 2>&-; trap '' TERM; echo $$$$ > step.pid; while :; do sleep 0.1; done"
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    const { code, ms } = await shutDown(agent);
    assert.equal(code, 1, agent.transcript());
    assertInBudget(ms, 5_000, agent.transcript());
    assertCompleteLog(agent, ["closes", "closes-and-hangs"]);
    assert.deepEqual(agent.named("step.end").map((r) => r.fields.outcome), ["ok", "timeout"]);
    assert.deepEqual(agent.output("closes"), ["before"]);
    assert.equal((await Deno.readTextFile(`${cfg.dir}/after.txt`)).trim(), "after");
    assertAllGone(await readPids(cfg.dir, ["step.pid"]), alive);
  },
});

Deno.test({
  ...posixOnly,
  name: "steps that exit while being signalled, or just as their time runs out",
  async fn() {
    // `slow-exit` handles TERM by exiting during the kill grace; the others end
    // right around their 1 s timeout, racing the timer.
    await using cfg = await withConfig(`
budget: 12s
steps:
  - name: slow-exit
    shell: sh
    timeout: 1s
    run: "trap 'sleep 0.2; exit 7' TERM; echo $$$$ > step.pid; while :; do sleep 0.05; done"
  - { name: race-a, shell: sh, timeout: 1s, run: "sleep 0.98" }
  - { name: race-b, shell: sh, timeout: 1s, run: "sleep 1" }
  - { name: race-c, shell: sh, timeout: 1s, run: "trap 'exit 0' TERM; sleep 1.02 & wait" }
  - { name: last, shell: sh, run: "echo last" }
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    const { code, ms } = await shutDown(agent);
    assert.ok(code === 0 || code === 1, agent.transcript());
    assertInBudget(ms, 12_000, agent.transcript());
    assertCompleteLog(agent, ["slow-exit", "race-a", "race-b", "race-c", "last"]);
    const ends = agent.named("step.end");
    assert.equal(ends[0].fields.outcome, "timeout");
    assert.equal(ends[0].fields.exit_code, "7", "it exited by itself during the grace");
    for (const end of ends.slice(1, 4)) {
      assert.ok(["ok", "timeout"].includes(end.fields.outcome), agent.transcript());
    }
    assert.equal(ends[4].fields.outcome, "ok");
    assertAllGone(await readPids(cfg.dir, ["step.pid"]), alive);
  },
});

Deno.test({
  ...posixOnly,
  name: "a daemon a step leaves in its process group (holding its stdout, ignoring TERM) is killed",
  async fn() {
    await using cfg = await withConfig(`
budget: 5s
steps:
  - { name: forks, shell: sh, run: "(trap '' TERM; exec sleep 300) & echo $$! > daemon.pid; echo forked" }
  - { name: next, shell: sh, run: "echo next" }
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    const { code, ms } = await shutDown(agent);
    assert.equal(code, 0, agent.transcript());
    assertInBudget(ms, 5_000, agent.transcript());
    assertCompleteLog(agent, ["forks", "next"]);
    assert.deepEqual(agent.output("forks"), ["forked"]);
    assertAllGone(await readPids(cfg.dir, ["daemon.pid"]), alive);
  },
});

Deno.test({
  ...posixOnly,
  name: "limitation: a setsid daemon escapes the step's group, but the agent still ends in time",
  async fn() {
    // The daemon holds the step's stdout and the step ignores TERM, so the
    // agent pays the kill grace and then stops reading the pipe. (Before a fix
    // in src/process/step.ts this ran past the margin: exit 70, no step.end.)
    await using cfg = await withConfig(`
budget: 2s
steps:
  - name: escapes
    shell: sh
    run: >-
      trap '' TERM; echo $$$$ > step.pid;
      setsid sh -c 'echo $$$$ > escaped.pid; exec sleep 300' &
      while :; do sleep 0.1; done
`);
    const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
    let escaped: number[] = [];
    try {
      const { code, ms } = await shutDown(agent);
      escaped = await readPids(cfg.dir, ["escaped.pid"]);
      assert.equal(code, 1, agent.transcript());
      assertInBudget(ms, 2_000, agent.transcript());
      const done = assertCompleteLog(agent, ["escapes"]);
      assert.equal(done.fields.outcome, "timeout");
      assert.equal(agent.named("error").length, 0, agent.transcript());
      assertAllGone(await readPids(cfg.dir, ["step.pid"]), alive);
      // The escaped process is not the agent's to find: POSIX process groups
      // cannot hold a process that calls setsid(). (A cgroup could.)
      assert.equal(escaped.length, 1);
    } finally {
      for (const pid of escaped) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
    }
  },
});

Deno.test({
  ...posixOnly,
  name: "an app that ignores SIGTERM, with a grandchild that does too, is killed after its grace",
  async fn() {
    await using cfg = await withConfig(`
budget: 4s
main: { grace: 1s }
steps:
  - { name: before-stop, shell: sh, run: "echo draining" }
  - { name: after-stop, shell: sh, when: after, run: "echo flushed" }
`);
    const app = [
      "sh",
      "-c",
      "trap '' TERM; echo $$ > app.pid; " +
      "sh -c 'trap \"\" TERM; sleep 300 & echo $! > gc.pid; wait' & " +
      "while :; do sleep 0.1; done",
    ];
    const agent = startAgent(["run", "-c", cfg.config, "--", ...app], { cwd: cfg.dir });
    await agent.ready();
    // Wait for the app's tree to be up, so there is something to kill.
    for (let i = 0; i < 200 && (await readPids(cfg.dir, ["app.pid", "gc.pid"])).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const { code, ms } = await shutDown(agent);
    assert.equal(code, 137, agent.transcript());
    assertInBudget(ms, 4_000, agent.transcript());
    assertCompleteLog(agent, ["before-stop", "after-stop"]);
    assert.equal(agent.named("main.kill").length, 1, agent.transcript());
    assertAllGone(await readPids(cfg.dir, ["app.pid", "gc.pid"]), alive);
  },
});

Deno.test({
  ...posixOnly,
  name: "an app that forks a daemon and exits at once: cleanup runs once, the daemon is killed",
  async fn() {
    await using cfg = await withConfig(`
budget: 4s
steps:
  - { name: cleanup, shell: sh, run: "echo cleanup" }
`);
    const app = [
      "sh",
      "-c",
      "(trap '' TERM; exec sleep 300) </dev/null >/dev/null 2>&1 & echo $! > daemon.pid; exit 3",
    ];
    const agent = startAgent(["run", "-c", cfg.config, "--", ...app], { cwd: cfg.dir });
    try {
      const t0 = Date.now();
      const code = await agent.exited;
      assert.equal(code, 3, agent.transcript());
      assertInBudget(Date.now() - t0, 4_000, agent.transcript());
      assertCompleteLog(agent, ["cleanup"]);
      assert.equal(agent.named("event").length, 0, "the app's exit started it, not an event");
      assertAllGone(await readPids(cfg.dir, ["daemon.pid"]), alive);
    } finally {
      agent.kill();
    }
  },
});
