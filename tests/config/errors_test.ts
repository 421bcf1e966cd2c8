import assert from "node:assert/strict";
import { ConfigError, formatProblem } from "../../src/config/mod.ts";
import { closest } from "../../src/config/suggest.ts";

Deno.test("formatProblem leaves out what is unknown", () => {
  const base = { file: "agent.yaml", message: "oops" };
  assert.equal(
    formatProblem({ ...base, line: 4, col: 5, path: "steps[0]" }),
    "agent.yaml:4:5: steps[0]: oops",
  );
  assert.equal(formatProblem({ ...base, line: 4, col: 5 }), "agent.yaml:4:5: oops");
  assert.equal(formatProblem({ ...base, line: 4 }), "agent.yaml:4: oops");
  assert.equal(formatProblem(base), "agent.yaml: oops");
  assert.equal(formatProblem({ ...base, path: "" }), "agent.yaml: oops");
});

Deno.test("formatProblem escapes line breaks", () => {
  assert.equal(
    formatProblem({ file: "a\nb.yaml", message: "bad\r\nvalue\nhere\r" }),
    "a\\nb.yaml: bad\\r\\nvalue\\nhere\\r",
  );
});

Deno.test("ConfigError carries every problem, one line each", () => {
  const error = new ConfigError([
    { file: "x.yaml", line: 1, col: 1, message: "first" },
    { file: "x.yaml", message: "second\nline" },
  ]);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ConfigError");
  assert.equal(error.message, "x.yaml:1:1: first\nx.yaml: second\\nline");
  assert.equal(error.problems.length, 2);
});

Deno.test("closest suggests likely typos only", () => {
  const keys = ["name", "run", "timeout", "when", "continue_on_error", "shell", "env", "cwd"];
  assert.equal(closest("timout", keys), "timeout");
  assert.equal(closest("TimeOut", keys), "timeout");
  assert.equal(closest("continueOnError", keys), "continue_on_error");
  assert.equal(closest("continue-on-error", keys), "continue_on_error");
  assert.equal(closest("nmae", keys), "name");
  assert.equal(closest("environment", keys), "env");
  assert.equal(closest("command", keys), undefined);
  assert.equal(closest("x", keys), undefined);
});
