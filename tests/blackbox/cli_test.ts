/**
 * The command line, black-box: check, simulate, trigger, init, schema,
 * --version, --help, and how bad input is reported.
 */

import assert from "node:assert/strict";
import { LOG_FORMAT, POSIX, runAgent, startAgent, withConfig } from "./harness.ts";

Deno.test("check prints the plan and exits 0 for a valid file", async () => {
  await using cfg = await withConfig(`
budget: 10s
main: { command: [app], grace: 2s }
steps:
  - { name: deregister, run: "echo bye", timeout: 3s }
  - parallel:
      - { name: flush, run: "echo flush", timeout: 2s }
      - { name: upload, run: "echo up", timeout: 4s }
  - { name: archive, run: "echo a", when: after, timeout: 1s }
`);
  const { code, stdout } = await runAgent(["check", "-c", cfg.config]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /valid/);
  const order = ["deregister", "in parallel", "flush", "upload", "stop the main app", "archive"];
  const positions = order.map((s) => stdout.indexOf(s));
  assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1])), stdout);
  // 3s + max(2s, 4s) + 2s grace + 1s = 10s
  assert.match(stdout, /Worst case: 10s of the 10s budget/);
});

Deno.test("check warns when the timeouts add up to more than the budget", async () => {
  await using cfg = await withConfig(`
budget: 5s
steps:
  - { name: a, run: "echo a", timeout: 4s }
  - { name: b, run: "echo b", timeout: 4s }
`);
  const { code, stdout } = await runAgent(["check", "-c", cfg.config]);
  assert.equal(code, 0);
  assert.match(stdout, /Warning: the worst case \(8s\) exceeds the budget \(5s\)/);
});

Deno.test("config errors name file:line:col and exit 2, for every command that reads it", async () => {
  await using cfg = await withConfig(`budget: 10s
steps:
  - name: a
    run: echo a
    timout: 5s
`);
  for (const command of ["check", "run", "simulate"]) {
    const { code, stderr, stdout } = await runAgent([command, "-c", cfg.config]);
    assert.equal(code, 2, `${command}: ${stdout}\n${stderr}`);
    assert.match(
      stderr,
      new RegExp(`^${escape(cfg.config)}:5:5: .*timout.*did you mean "timeout"`, "m"),
    );
    assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/, "no stack trace");
  }
});

Deno.test("a missing config file given with -c is an error, exit 2", async () => {
  const { code, stderr } = await runAgent(["check", "-c", "/nonexistent/agent.yaml"]);
  assert.equal(code, 2);
  assert.match(stderr, /^\/nonexistent\/agent\.yaml: /m);
});

Deno.test("without any config file the agent runs with no steps", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code, stdout } = await runAgent(["check"], { cwd: dir });
    assert.equal(code, 0);
    assert.match(stdout, /No configuration file found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SHUTDOWN_AGENT_CONFIG and ./agent.yaml are found", async () => {
  await using cfg = await withConfig(`steps: [{ name: from-cwd, run: "echo x" }]\n`);
  const fromCwd = await runAgent(["check"], { cwd: cfg.dir });
  assert.match(fromCwd.stdout, /from-cwd/);
  const other = `${cfg.dir}/other.yaml`;
  await Deno.writeTextFile(other, `steps: [{ name: from-env, run: "echo x" }]\n`);
  const fromEnv = await runAgent(["check"], {
    cwd: cfg.dir,
    env: { SHUTDOWN_AGENT_CONFIG: other },
  });
  assert.match(fromEnv.stdout, /from-env/);
});

Deno.test("simulate runs the shutdown now and prints a timeline", async () => {
  await using cfg = await withConfig(`
budget: 10s
steps:
  - { name: one, run: "echo one" }
  - { name: two, run: "exit 4" }
`);
  const { code, stdout, agent } = await runAgent([
    "simulate",
    "-c",
    cfg.config,
    "--event",
    "close",
  ]);
  assert.equal(code, 1, stdout);
  assert.equal(agent.named("event")[0].fields.event, "close");
  assert.deepEqual(agent.named("step.end").map((r) => r.fields.outcome), ["ok", "failed"]);
  if (LOG_FORMAT === "text") {
    assert.match(stdout, /Shutdown timeline \(started by close, budget 10s\)/);
    assert.match(stdout, /^\s+one\s+\+\S+\s+\+\S+\s+ok\s+0\s+[\d.]+%$/m);
    assert.match(stdout, /^\s+two\s+\+\S+\s+\+\S+\s+failed\s+4\s/m);
    assert.match(stdout, /Finished: failed in .*, exit code 1/);
  }
});

Deno.test("simulate rejects an unknown event with exit 2", async () => {
  const { code, stderr } = await runAgent(["simulate", "--event", "reboot"]);
  assert.equal(code, 2);
  assert.match(stderr, /Unknown event "reboot"; expected one of shutdown, close, logoff/);
});

Deno.test("trigger delivers an event to a waiting agent", async () => {
  await using cfg = await withConfig(`steps: [{ name: s, run: "echo triggered" }]\n`);
  const agent = startAgent(["run", "-c", cfg.config]);
  const pid = await agent.ready();
  const result = await runAgent(["trigger", "--event", "shutdown", String(pid)]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`Delivered shutdown \\(\\S+\\) to process ${pid}`));
  assert.equal(await agent.exited, 0);
  assert.deepEqual(agent.output("s"), ["triggered"]);
});

Deno.test("trigger fails with exit 1 for a process that does not exist, 2 for a bad pid", async () => {
  const missing = await runAgent(["trigger", "999999"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No process with id 999999/);
  const bad = await runAgent(["trigger", "abc"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Process id must be a positive whole number/);
});

Deno.test({
  name: "trigger of logoff on POSIX says there is no such signal (exit 2)",
  ignore: !POSIX,
  async fn() {
    const { code, stderr } = await runAgent(["trigger", "--event", "logoff", String(Deno.pid)]);
    assert.equal(code, 2);
    assert.match(stderr, /no POSIX signal/);
  },
});

Deno.test("init writes a starter config that check accepts, and never overwrites silently", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await runAgent(["init"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const text = await Deno.readTextFile(`${dir}/agent.yaml`);
    assert.match(text, /yaml-language-server: \$schema=agent\.schema\.json/);
    const schema = JSON.parse(await Deno.readTextFile(`${dir}/agent.schema.json`));
    assert.ok("steps" in schema.properties, "the schema the starter file names is there");
    const check = await runAgent(["check"], { cwd: dir });
    assert.equal(check.code, 0, check.stderr);
    const again = await runAgent(["init"], { cwd: dir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists; use --force/);
    const forced = await runAgent(["init", "--force"], { cwd: dir });
    assert.equal(forced.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("schema prints the JSON Schema of the config", async () => {
  const { code, stdout } = await runAgent(["schema"]);
  assert.equal(code, 0);
  const schema = JSON.parse(stdout);
  for (const key of ["budget", "events", "log", "main", "steps"]) {
    assert.ok(key in schema.properties, `${key} missing`);
  }
});

Deno.test("--version names the agent, Deno and the platform", async () => {
  const { code, stdout } = await runAgent(["--version"]);
  assert.equal(code, 0);
  assert.match(stdout, /^agent \d+\.\d+\.\d+ \(deno \d+\.\d+\.\d+, \w+-\w+\)$/);
});

Deno.test("--help works on every command", async () => {
  for (const args of [[], ["run"], ["check"], ["simulate"], ["trigger"], ["schema"], ["init"]]) {
    const { code, stdout } = await runAgent([...args, "--help"], { logFormatFlag: false });
    assert.equal(code, 0, `${args.join(" ")} --help`);
    assert.match(stdout, /Usage: agent/);
  }
});

Deno.test("usage errors exit 2 with a message, not a stack trace", async () => {
  for (const args of [["frobnicate"], ["run", "--no-such-flag"], ["trigger"]]) {
    const { code, stderr } = await runAgent(args, { logFormatFlag: false });
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, /error: /);
    assert.doesNotMatch(stderr, /\bat .*\.(ts|js):\d+/);
  }
  const badFormat = await runAgent(["run", "--log-format", "xml"], { logFormatFlag: false });
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /Log format must be "text" or "json"/);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test("simulate --report writes the timeline as SVG or JSON; other extensions exit 2", async () => {
  await using cfg = await withConfig(`
budget: 5s
steps:
  - { name: first-step, run: "echo one" }
  - { name: second-step, run: "exit 2" }
`);
  const svg = await runAgent(["simulate", "-c", cfg.config, "--report", `${cfg.dir}/t.svg`]);
  assert.equal(svg.code, 1, svg.stderr);
  const picture = await Deno.readTextFile(`${cfg.dir}/t.svg`);
  assert.match(picture, /^<svg /);
  assert.match(picture, /first-step/);
  assert.match(picture, /second-step/);
  const json = await runAgent(["simulate", "-c", cfg.config, "--report", `${cfg.dir}/t.json`]);
  assert.equal(json.code, 1);
  const data = JSON.parse(await Deno.readTextFile(`${cfg.dir}/t.json`));
  assert.equal(data.budget_ms, 5000);
  assert.equal(data.trigger, "shutdown");
  assert.deepEqual(
    data.steps.map((s: { name: string; outcome: string }) => [s.name, s.outcome]),
    [["first-step", "ok"], ["second-step", "failed"]],
  );
  assert.ok(data.steps[1].start_ms >= data.steps[0].end_ms);
  const bad = await runAgent(["simulate", "-c", cfg.config, "--report", `${cfg.dir}/t.png`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Report file must end in \.svg or \.json/);
});

Deno.test("run --report writes the timeline at the end of a real shutdown", async () => {
  await using cfg = await withConfig(`steps: [{ name: only, run: "echo x" }]\n`);
  const agent = startAgent(["run", "-c", cfg.config, "--report", `${cfg.dir}/r.json`]);
  await agent.ready();
  await agent.send("shutdown");
  assert.equal(await agent.exited, 0, agent.transcript());
  const data = JSON.parse(await Deno.readTextFile(`${cfg.dir}/r.json`));
  assert.equal(data.outcome, "ok");
  assert.equal(data.steps[0].name, "only");
});
