import assert from "node:assert/strict";
import { configJsonSchema } from "../src/config/mod.ts";

Deno.test("agent.schema.json is current (regenerate with: deno task schema)", async () => {
  const committed = JSON.parse(
    await Deno.readTextFile(new URL("../agent.schema.json", import.meta.url)),
  );
  assert.deepEqual(committed, configJsonSchema());
});

Deno.test("the example config names the schema its editor should use", async () => {
  const text = await Deno.readTextFile(new URL("../examples/agent.yaml", import.meta.url));
  assert.match(text, /^# yaml-language-server: \$schema=\.\.\/agent\.schema\.json$/m);
});
