import assert from "node:assert/strict";
import { configJsonSchema, EVENT_NAMES, SHELLS } from "../../src/config/mod.ts";

type JsonObject = Record<string, unknown>;

Deno.test("configJsonSchema describes agent.yaml", () => {
  const schema = configJsonSchema();
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(schema.type, "object");
  assert.equal(schema.additionalProperties, false);
  assert.equal(typeof schema.title, "string");
  const properties = schema.properties as JsonObject;
  assert.deepStrictEqual(Object.keys(properties), [
    "version",
    "budget",
    "events",
    "log",
    "main",
    "steps",
  ]);
  assert.equal(schema.required, undefined, "every top-level key is optional");
  const budget = properties.budget as JsonObject;
  assert.deepStrictEqual(budget.type, ["string", "number"]);
  assert.equal(budget.default, "30s");
  assert.match(String(budget.description), /1m30s/);
  assert.deepStrictEqual((properties.events as JsonObject).default, [...EVENT_NAMES]);
});

Deno.test("configJsonSchema: steps and parallel groups are shared definitions", () => {
  const schema = configJsonSchema();
  const defs = schema.$defs as Record<string, JsonObject>;
  const step = defs.step;
  assert.deepStrictEqual(step.required, ["name", "run"]);
  assert.equal(step.additionalProperties, false);
  const stepProps = step.properties as Record<string, JsonObject>;
  assert.deepStrictEqual(Object.keys(stepProps), [
    "name",
    "run",
    "timeout",
    "when",
    "continue_on_error",
    "shell",
    "env",
    "cwd",
  ]);
  assert.deepStrictEqual(stepProps.shell.enum, [...SHELLS]);
  assert.equal(stepProps.shell.default, "dax");
  for (const [key, value] of Object.entries(stepProps)) {
    assert.equal(typeof value.description, "string", `steps[].${key} has a description`);
  }
  const group = defs.parallel_group;
  assert.deepStrictEqual(group.required, ["parallel"]);
  assert.deepStrictEqual(
    ((group.properties as JsonObject).parallel as JsonObject).items,
    { $ref: "#/$defs/step" },
  );
  const json = JSON.stringify(schema);
  assert.ok(json.includes('"$ref":"#/$defs/parallel_group"'));
});

Deno.test("configJsonSchema is plain JSON and a fresh object each call", () => {
  const a = configJsonSchema();
  assert.deepStrictEqual(JSON.parse(JSON.stringify(a)), a);
  (a.properties as JsonObject).budget = null;
  assert.notEqual((configJsonSchema().properties as JsonObject).budget, null);
});
