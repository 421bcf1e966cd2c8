/**
 * The platform's shutdown limit in `runAgent`: a budget that does not fit is
 * cut, with a warning naming both numbers and the fix, so that the agent ends
 * before the platform would kill it. (The Wine lane checks the same through
 * the real registry: tests/blackbox/orchestrator_test.ts.)
 */

import assert from "node:assert/strict";
import { EXIT_MARGIN_MS, runAgent } from "../src/agent.ts";
import { parseConfig } from "../src/config/mod.ts";
import { createLogger, type LogRecord } from "../src/log/mod.ts";
import type { Platform } from "../src/platform/mod.ts";
import { posixPlatform } from "../src/platform/posix.ts";

/** The POSIX platform without signal listeners (the event is simulated). */
const platform: Platform = {
  ...posixPlatform,
  listen: () => ({ ready: Promise.resolve(), narrow() {}, close() {} }),
};

function quietLogger() {
  const sink = { writeSync: (p: Uint8Array) => p.length };
  return createLogger({ format: "json", stdout: sink, stderr: sink });
}

Deno.test({
  name: "a budget that does not fit the platform's limit is cut: warning, done before the limit",
  ignore: Deno.build.os === "windows",
  async fn() {
    const logger = quietLogger();
    const config = parseConfig(
      `budget: 10s
steps:
  - { name: hang, run: "sleep 30", shell: sh }
  - { name: later, run: "true", shell: sh }
`,
      { file: "agent.yaml", env: {} },
    );
    const limitMs = 3_000;
    const t0 = Date.now();
    const outcome = await runAgent({
      config,
      platform,
      logger,
      immediateEvent: "shutdown",
      platformLimit: { ms: limitMs, source: "test limit" },
    });
    const elapsed = Date.now() - t0;
    const records: readonly LogRecord[] = logger.records;
    const text = records.map((r) => `${r.msg} ${JSON.stringify(r.fields)}`).join("\n");
    const ready = records.find((r) => r.msg === "ready")!;
    assert.equal(ready.fields.platform_limit_ms, limitMs);
    assert.equal(ready.fields.budget_ms, 10_000);
    const warning = records.find((r) => r.msg === "warning");
    assert.ok(warning, text);
    assert.equal(warning.fields.platform_limit_ms, limitMs);
    assert.equal(warning.fields.effective_budget_ms, limitMs - 2 * EXIT_MARGIN_MS);
    assert.match(String(warning.fields.message), /budget \(10s\).*limit \(3s; test limit\)/);
    assert.match(String(warning.fields.message), /agent setup --timeout 16/);
    const done = records.find((r) => r.msg === "done")!;
    assert.equal(done.fields.outcome, "timeout");
    assert.equal(outcome.exitCode, 1);
    assert.ok(elapsed < limitMs, `the agent ended after ${elapsed} ms, not before ${limitMs} ms`);
  },
});

Deno.test("a budget that fits is kept, and no warning is written", async () => {
  const logger = quietLogger();
  const config = parseConfig(`budget: 2s\nsteps: [{ name: quick, run: "true", shell: sh }]\n`, {
    file: "agent.yaml",
    env: {},
  });
  await runAgent({
    config,
    platform,
    logger,
    immediateEvent: "shutdown",
    platformLimit: { ms: 3_000, source: "test limit" },
  });
  const records = logger.records;
  assert.equal(records.filter((r) => r.msg === "warning").length, 0);
  assert.equal(records.find((r) => r.msg === "ready")!.fields.platform_limit_ms, 3_000);
});
