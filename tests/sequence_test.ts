import assert from "node:assert/strict";
import { parseConfig, type StepConfig } from "../src/config/mod.ts";
import { createLogger, type Logger } from "../src/log/mod.ts";
import { buildPlan } from "../src/plan.ts";
import type { StepResult } from "../src/process/step.ts";
import { runSequence } from "../src/sequence.ts";

function quietLogger(): Logger {
  const sink = { writeSync: (p: Uint8Array) => p.length };
  return createLogger({ format: "json", stdout: sink, stderr: sink });
}

/** A fake step runner: each step "runs" for its `run` value in ms and exits 0, or `fail`. */
function fakeRunner(calls: string[], limits: Record<string, number> = {}) {
  return async (step: StepConfig, limit: { timeoutMs: number }): Promise<StepResult> => {
    calls.push(step.name);
    limits[step.name] = limit.timeoutMs;
    const startedAt = Date.now();
    if (step.run === "fail") return { name: step.name, outcome: "failed", exitCode: 1, startedAt };
    await new Promise((r) => setTimeout(r, Number(step.run)));
    return { name: step.name, outcome: "ok", exitCode: 0, startedAt, endedAt: Date.now() };
  };
}

Deno.test("steps run in plan order and the stop comes between before and after", async () => {
  const config = parseConfig(
    `
main: { grace: 1s }
steps:
  - { name: late, run: "1", when: after }
  - { name: early, run: "1" }
`,
    { file: "a.yaml", env: {} },
  );
  const calls: string[] = [];
  const result = await runSequence(buildPlan(config, { supervising: true }), {
    event: "shutdown",
    deadline: Date.now() + 10_000,
    logger: quietLogger(),
    runStep: fakeRunner(calls),
    stopMain: (event, graceMs) => {
      calls.push(`stop:${event}:${graceMs}`);
      return Promise.resolve();
    },
  });
  assert.deepEqual(calls, ["early", "stop:shutdown:1000", "late"]);
  assert.equal(result.outcome, "ok");
});

Deno.test("a step's limit is its timeout, or what is left of the budget when that is less", async () => {
  const config = parseConfig(
    `
budget: 10s
steps:
  - { name: short, run: "1", timeout: 2s }
  - { name: open, run: "1" }
`,
    { file: "a.yaml", env: {} },
  );
  const limits: Record<string, number> = {};
  await runSequence(buildPlan(config, { supervising: false }), {
    event: "shutdown",
    deadline: Date.now() + 5_000,
    logger: quietLogger(),
    runStep: fakeRunner([], limits),
  });
  assert.equal(limits.short, 2_000);
  assert.ok(limits.open <= 5_000 && limits.open > 4_000, String(limits.open));
});

Deno.test("once the deadline has passed every remaining step is skipped", async () => {
  const config = parseConfig(
    `
steps:
  - { name: a, run: "1" }
  - parallel: [{ name: b, run: "1" }, { name: c, run: "1" }]
`,
    { file: "a.yaml", env: {} },
  );
  const calls: string[] = [];
  const result = await runSequence(buildPlan(config, { supervising: false }), {
    event: "shutdown",
    deadline: Date.now() - 1,
    logger: quietLogger(),
    runStep: fakeRunner(calls),
  });
  assert.deepEqual(calls, []);
  assert.deepEqual(result.steps.map((s) => s.outcome), ["skipped", "skipped", "skipped"]);
  assert.equal(result.outcome, "timeout");
});

Deno.test("a failure with continue_on_error: false skips the rest but still stops the app", async () => {
  const config = parseConfig(
    `
main: { grace: 1s }
steps:
  - { name: gate, run: fail, continue_on_error: false }
  - { name: skipped, run: "1" }
  - { name: after, run: "1", when: after }
`,
    { file: "a.yaml", env: {} },
  );
  const calls: string[] = [];
  const result = await runSequence(buildPlan(config, { supervising: true }), {
    event: "close",
    deadline: Date.now() + 10_000,
    logger: quietLogger(),
    runStep: fakeRunner(calls),
    stopMain: (event) => {
      calls.push(`stop:${event}`);
      return Promise.resolve();
    },
  });
  assert.deepEqual(calls, ["gate", "stop:close"]);
  assert.deepEqual(result.steps.map((s) => [s.name, s.outcome]), [
    ["gate", "failed"],
    ["skipped", "skipped"],
    ["after", "skipped"],
  ]);
  assert.equal(result.outcome, "failed");
});

Deno.test("parallel members start together", async () => {
  const config = parseConfig(
    `steps: [{ parallel: [{ name: a, run: "200" }, { name: b, run: "200" }] }]`,
    { file: "a.yaml", env: {} },
  );
  const t0 = Date.now();
  const result = await runSequence(buildPlan(config, { supervising: false }), {
    event: "shutdown",
    deadline: Date.now() + 10_000,
    logger: quietLogger(),
    runStep: fakeRunner([]),
  });
  const [a, b] = result.steps;
  assert.ok(Math.abs(a.startedAt! - b.startedAt!) < 100);
  assert.ok(Date.now() - t0 < 390, "members overlapped");
});
