/**
 * Event storms (POSIX lane): 100 events within a second, mixed SIGTERM,
 * SIGINT, SIGHUP and SIGQUIT, start the sequence exactly once.
 *
 * The kernel merges a signal that is already pending with a new one of the
 * same kind, so fewer than 99 `event.ignored` records may appear; never more,
 * and never a second `event` or a step started twice.
 */

import assert from "node:assert/strict";
import { alive, POSIX, startAgent, withConfig } from "../blackbox/harness.ts";
import { EXIT_MARGIN_MS } from "../../src/agent.ts";
import { assertCompleteLog, EXIT_SLACK_MS, Rng, SEED } from "./support.ts";

const SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"];
const EVENT_OF: Record<string, string> = {
  SIGTERM: "shutdown",
  SIGINT: "ctrl-c",
  SIGHUP: "close",
  SIGQUIT: "ctrl-break",
};
const STORM = 100;

/** Sends `count` random signals to `pid`, spread over about `spreadMs`. */
async function storm(pid: number, count: number, spreadMs: number, rng: Rng): Promise<string[]> {
  const sent: string[] = [];
  for (let i = 0; i < count; i++) {
    const signal = rng.pick(SIGNALS);
    if (!alive(pid)) break;
    Deno.kill(pid, signal);
    sent.push(signal);
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, spreadMs / (count / 10)));
  }
  return sent;
}

for (const when of ["at once, the first event starting it", "while the sequence runs"]) {
  Deno.test({
    ignore: !POSIX,
    name: `${STORM} mixed events in a second, ${when}, start the sequence once (seed ${SEED})`,
    async fn() {
      await using cfg = await withConfig(`
budget: 8s
steps:
  - { name: first, shell: sh, run: "sleep 1.5; echo first >> runs.txt" }
  - parallel:
      - { name: second, shell: sh, run: "echo second >> runs.txt" }
      - { name: third, shell: sh, run: "echo third >> runs.txt" }
`);
      const rng = new Rng(SEED);
      const agent = startAgent(["run", "-c", cfg.config], { cwd: cfg.dir });
      try {
        await agent.ready();
        const t0 = Date.now();
        let sent: string[];
        if (when.startsWith("at once")) {
          sent = await storm(agent.osPid, STORM, 1_000, rng);
        } else {
          await agent.send("shutdown");
          await agent.waitFor("step.start");
          sent = ["SIGTERM", ...await storm(agent.osPid, STORM - 1, 1_000, rng)];
        }
        assert.ok(Date.now() - t0 < 1_500 + EXIT_SLACK_MS, "the storm took about a second");
        assert.equal(sent.length, STORM, "the agent was alive for the whole storm");
        const code = await agent.exited;
        assert.equal(code, 0, agent.transcript());
        assert.ok(Date.now() - t0 <= 8_000 + EXIT_MARGIN_MS + EXIT_SLACK_MS);
        const context = `\nseed ${SEED}\n${agent.transcript()}`;
        assertCompleteLog(agent, ["first", "second", "third"], context);
        const events = agent.named("event");
        assert.equal(events.length, 1, context);
        // Pending signals are delivered lowest number first, not in the order sent.
        assert.ok(sent.map((s) => EVENT_OF[s]).includes(events[0].fields.event), context);
        for (const step of ["first", "second", "third"]) {
          const starts = agent.named("step.start").filter((r) => r.fields.step === step);
          assert.equal(starts.length, 1, `${step} started once${context}`);
        }
        const ignored = agent.named("event.ignored");
        assert.ok(ignored.length <= STORM - 1, `at most one per extra event${context}`);
        // Merging only happens while a signal of the same kind is pending: some get through.
        assert.ok(ignored.length >= 4, `repeats are reported${context}`);
        for (const record of ignored) {
          assert.ok(Object.values(EVENT_OF).includes(record.fields.event), context);
          assert.equal(record.fields.reason, "a shutdown is already running", context);
        }
        const lines = (await Deno.readTextFile(`${cfg.dir}/runs.txt`)).trim().split("\n");
        assert.deepEqual(lines.toSorted(), ["first", "second", "third"], context);
      } finally {
        agent.kill();
      }
    },
  });
}
