import assert from "node:assert/strict";
import { parseConfig } from "../src/config/mod.ts";
import { buildPlan, describePlan, worstCaseMs } from "../src/plan.ts";

const config = parseConfig(
  `
budget: 20s
main: { grace: 3s, stop_event: ctrl-c }
steps:
  - { name: after-1, run: a, when: after, timeout: 1s }
  - { name: before-1, run: b, timeout: 2s }
  - parallel:
      - { name: p1, run: c, timeout: 4s }
      - { name: p2, run: d, timeout: 1s }
  - { name: after-2, run: e, when: after, timeout: 1s }
`,
  { file: "agent.yaml", env: {} },
);

Deno.test("before steps come first, then the stop, then after steps, each in file order", () => {
  const plan = buildPlan(config, { supervising: true });
  assert.equal(plan.budgetMs, 20_000);
  assert.deepEqual(
    plan.stages.map((s) => s.kind === "stop-main" ? "stop" : s.steps.map((x) => x.name).join("+")),
    ["before-1", "p1+p2", "stop", "after-1", "after-2"],
  );
  const stop = plan.stages[2];
  assert.deepEqual(stop, { kind: "stop-main", stopEvent: "ctrl-c", graceMs: 3_000 });
});

Deno.test("without an app there is no stop stage", () => {
  const plan = buildPlan(config, { supervising: false });
  assert.ok(plan.stages.every((s) => s.kind === "steps"));
  assert.equal(plan.stages.length, 4);
});

Deno.test("the worst case adds sequential timeouts, the longest member of a group, and grace", () => {
  assert.equal(
    worstCaseMs(buildPlan(config, { supervising: true })),
    2_000 + 4_000 + 3_000 + 2_000,
  );
  assert.equal(worstCaseMs(buildPlan(config, { supervising: false })), 2_000 + 4_000 + 2_000);
  const open = parseConfig(`steps: [{ name: x, run: y }]`, { file: "a.yaml", env: {} });
  assert.equal(worstCaseMs(buildPlan(open, { supervising: false })), undefined);
});

Deno.test("the plan reads as numbered lines", () => {
  assert.deepEqual(describePlan(buildPlan(config, { supervising: true })), [
    "1. before-1 (dax, timeout 2s): b",
    "2. in parallel:",
    "   - p1 (dax, timeout 4s): c",
    "   - p2 (dax, timeout 1s): d",
    "3. stop the main app: send ctrl-c, kill its tree after 3s",
    "4. after-1 (dax, timeout 1s): a",
    "5. after-2 (dax, timeout 1s): e",
  ]);
});
