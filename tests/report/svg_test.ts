import assert from "node:assert/strict";
import { renderTimelineSvg, type Timeline } from "../../src/report/mod.ts";
import { OUTCOME_COLOURS } from "../../src/report/svg.ts";

const timeline: Timeline = {
  agent: "0.0.0",
  trigger: "shutdown",
  source: "console",
  started_at: "2026-01-01T00:00:00.000Z",
  budget_ms: 4_000,
  platform_kill_ms: 5_000,
  end_ms: 2_500,
  outcome: "failed",
  exit_code: 1,
  steps: [
    { name: "drain <web>", outcome: "ok", start_ms: 0, end_ms: 1_000, exit_code: 0 },
    { name: "flush", outcome: "failed", start_ms: 1_000, end_ms: 1_200, exit_code: 3 },
    { name: "hung", outcome: "timeout", start_ms: 1_000, end_ms: 2_000, exit_code: 143 },
    { name: "late", outcome: "skipped", reason: "the budget ran out" },
  ],
  main: { stop_ms: 2_000, exit_ms: 2_400, exit_code: 0 },
};

Deno.test("the chart has one bar per step that ran, coloured by its outcome", () => {
  const svg = renderTimelineSvg(timeline);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  for (const outcome of ["ok", "failed", "timeout"]) {
    const bars = svg.match(new RegExp(`<rect [^>]*fill="${OUTCOME_COLOURS[outcome]}">`, "g"));
    assert.equal(bars?.length, 1, outcome);
  }
  assert.match(svg, /skipped: the budget ran out/);
});

Deno.test("names are escaped, and the budget, kill line, app and axis are labelled", () => {
  const svg = renderTimelineSvg(timeline);
  assert.ok(svg.includes("drain &#60;web&#62;"));
  assert.ok(!svg.includes("<web>"));
  for (const label of ["budget 4s", "platform kills at 5s", "done 2.5s", "main app", "exit 0"]) {
    assert.ok(svg.includes(label), label);
  }
  assert.match(svg, />0s</);
  assert.match(svg, /Shutdown timeline: shutdown \(console\)/);
});

Deno.test("bars are placed in proportion to time", () => {
  const svg = renderTimelineSvg(timeline);
  const bar = (colour: string) => {
    const m = new RegExp(`<rect x="([\\d.]+)" y="[\\d.]+" width="([\\d.]+)"[^>]*fill="${colour}">`)
      .exec(svg)!;
    return { x: Number(m[1]), w: Number(m[2]) };
  };
  const ok = bar(OUTCOME_COLOURS.ok); // 0 to 1000 ms
  const timeout = bar(OUTCOME_COLOURS.timeout); // 1000 to 2000 ms
  assert.ok(Math.abs(ok.w - timeout.w) < 1, "equal durations, equal widths");
  assert.ok(Math.abs(timeout.x - (ok.x + ok.w)) < 1, "the second starts where the first ended");
});
