/**
 * The arithmetic of platform limits: what fits, what the agent keeps, what it
 * recommends, and what `agent setup` changes (against a fake registry).
 */

import assert from "node:assert/strict";
import {
  applySetup,
  budgetFits,
  describeLimit,
  fitBudget,
  MIN_EFFECTIVE_BUDGET_MS,
  parseSetupSeconds,
  planSetup,
  recommendedSeconds,
  waitToKillMs,
} from "../../src/platform/shutdown_limits.ts";
import { fakeRegistry } from "./fake_registry.ts";

const PST = "SYSTEM\\CurrentControlSet\\Services\\cexecsvc\\ProcessShutdownTimeoutSeconds";
const WTK = "SYSTEM\\CurrentControlSet\\Control\\WaitToKillServiceTimeout";

Deno.test("setup seconds: whole numbers from 1 to a day", () => {
  assert.equal(parseSetupSeconds("60"), 60);
  assert.equal(parseSetupSeconds("86400"), 86400);
  for (const bad of ["0", "-5", "1.5", "abc", "", "86401", "1e3"]) {
    assert.equal(typeof parseSetupSeconds(bad), "object", bad);
  }
});

Deno.test("a budget fits when budget + margin <= limit; otherwise it is cut to limit - 2 margins", () => {
  assert.ok(budgetFits(30_000, 31_000, 1_000));
  assert.ok(!budgetFits(30_000, 30_999, 1_000));
  assert.deepEqual(fitBudget(30_000, undefined, 1_000), { budgetMs: 30_000, capped: false });
  assert.deepEqual(fitBudget(30_000, 60_000, 1_000), { budgetMs: 30_000, capped: false });
  assert.deepEqual(fitBudget(30_000, 5_000, 1_000), { budgetMs: 3_000, capped: true });
  assert.deepEqual(fitBudget(10_000, 3_000, 1_000), {
    budgetMs: MIN_EFFECTIVE_BUDGET_MS,
    capped: true,
  });
  // Never longer than the configured budget.
  assert.deepEqual(fitBudget(500, 1_200, 1_000), { budgetMs: 500, capped: true });
});

Deno.test("recommended seconds: budget + margin rounded up, plus headroom", () => {
  assert.equal(recommendedSeconds(30_000, 1_000), 36);
  assert.equal(recommendedSeconds(45_000, 1_000), 51);
  assert.equal(recommendedSeconds(10_500, 1_000), 17);
});

Deno.test("the limit: none outside a container, 5 s when unset, the DWORD otherwise", () => {
  assert.equal(describeLimit({ inContainer: false }), undefined);
  const unset = describeLimit({ inContainer: true })!;
  assert.equal(unset.ms, 5_000);
  assert.match(unset.source, /not set: Windows' default of 5 s applies/);
  const set = describeLimit({
    inContainer: true,
    processShutdownTimeout: { type: "dword", value: 60 },
  })!;
  assert.equal(set.ms, 60_000);
  assert.match(set.source, /ProcessShutdownTimeoutSeconds = 60$/);
  // A value of the wrong type is ignored by Windows: the default applies.
  assert.equal(
    describeLimit({ inContainer: true, processShutdownTimeout: { type: "sz", value: "60" } })!.ms,
    5_000,
  );
});

Deno.test("WaitToKillServiceTimeout is a decimal string of milliseconds", () => {
  assert.equal(waitToKillMs({ type: "sz", value: "60000" }), 60_000);
  assert.equal(waitToKillMs({ type: "sz", value: "abc" }), undefined);
  assert.equal(waitToKillMs({ type: "dword", value: 60000 }), undefined);
  assert.equal(waitToKillMs(undefined), undefined);
});

Deno.test("setup writes seconds as a DWORD and milliseconds as a string, then is idempotent", () => {
  const registry = fakeRegistry({}, ["SYSTEM\\CurrentControlSet\\Services\\cexecsvc"]);
  const first = applySetup(registry, 60);
  assert.deepEqual(registry.values.get(PST), { type: "dword", value: 60 });
  assert.deepEqual(registry.values.get(WTK), { type: "sz", value: "60000" });
  assert.match(first[0], /ProcessShutdownTimeoutSeconds: not set -> 60 \(REG_DWORD\)$/);
  assert.match(first[1], /WaitToKillServiceTimeout: not set -> "60000" \(REG_SZ\)$/);
  const second = applySetup(registry, 60);
  assert.equal(registry.writes.length, 2, "nothing written the second time");
  assert.ok(second.every((line) => line.includes("already set")), second.join("\n"));
  const third = applySetup(registry, 90);
  assert.match(third[0], /60 \(REG_DWORD\) -> 90 \(REG_DWORD\)/);
  assert.match(third[1], /"60000" \(REG_SZ\) -> "90000" \(REG_SZ\)/);
});

Deno.test("setup rewrites a value of the wrong type", () => {
  const changes = planSetup({
    inContainer: true,
    processShutdownTimeout: { type: "sz", value: "60" },
    waitToKillServiceTimeout: { type: "dword", value: 60_000 },
  }, 60);
  assert.ok(changes.every((c) => c.changed));
});
