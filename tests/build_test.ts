import assert from "node:assert/strict";
import { compileArgs, EXTRA_MODULES, modulesLoadedByUrl, TARGETS } from "../scripts/build.ts";

Deno.test("every module loaded by URL at run time is listed for deno compile", async () => {
  const loaded = await modulesLoadedByUrl();
  assert.ok(loaded.length > 0, "the Worker modules are found by the scan");
  for (const module of loaded) assert.ok(EXTRA_MODULES.includes(module), `${module} not listed`);
  for (const module of EXTRA_MODULES) {
    const info = await Deno.stat(new URL(`../${module}`, import.meta.url));
    assert.ok(info.isFile, module);
  }
});

Deno.test("each target compiles main.ts with every extra module included", () => {
  assert.deepEqual(TARGETS.map((t) => t.output), ["dist/agent.exe", "dist/agent"]);
  for (const target of TARGETS) {
    const args = compileArgs(target);
    assert.equal(args.at(-1), "main.ts");
    assert.equal(args[args.indexOf("--target") + 1], target.triple);
    for (const module of EXTRA_MODULES) {
      assert.ok(args.some((a, i) => a === "--include" && args[i + 1] === module), module);
    }
  }
});
