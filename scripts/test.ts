/**
 * The test command: runs every suite of a lane and ends with one plain line,
 * `N passed, M failed`, which CI reads.
 *
 *   deno task test            unit tests, then the black-box suite with text and JSON logs
 *   deno task test:all        both lanes (what CI runs)
 *   deno task test:windows    the Wine lane: Windows platform tests and the black-box suite
 *                             through the Windows Deno runtime
 *
 * Extra arguments are passed to every `deno test` (for example `--filter trigger`).
 * `AGENT_CMD` may name the agent to test (a compiled binary, for example).
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface Suite {
  name: string;
  paths: string[];
  env?: Record<string, string>;
}

function suites(lane: string): Suite[] {
  if (lane === "all") return [...suites("posix"), ...suites("windows")];
  if (lane === "windows") {
    const agentCmd = Deno.env.get("AGENT_CMD") ??
      `${ROOT}scripts/wine_deno.sh run -A ${ROOT}main.ts`;
    return [
      { name: "windows platform", paths: ["tests/windows/"] },
      {
        name: "black-box (windows lane, text logs)",
        paths: ["tests/blackbox/"],
        env: { AGENT_LANE: "windows", AGENT_CMD: agentCmd, AGENT_LOG_FORMAT: "text" },
      },
    ];
  }
  return [
    { name: "unit", paths: ["tests/"] },
    {
      name: "black-box (text logs)",
      paths: ["tests/blackbox/"],
      env: { AGENT_LOG_FORMAT: "text" },
    },
    {
      name: "black-box (json logs)",
      paths: ["tests/blackbox/"],
      env: { AGENT_LOG_FORMAT: "json" },
    },
  ];
}

async function runSuite(
  suite: Suite,
  extra: string[],
): Promise<{ passed: number; failed: number; ok: boolean }> {
  console.log(`\n=== ${suite.name}`);
  const ignore = suite.paths.includes("tests/") ? ["--ignore=tests/blackbox/,tests/windows/"] : [];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--parallel", ...ignore, ...extra, ...suite.paths],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...suite.env },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let passed = 0;
  let failed = 0;
  let seenSummary = false;
  let pending = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    await Deno.stdout.write(new TextEncoder().encode(chunk));
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      const m = /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/.exec(line);
      if (m) {
        passed += Number(m[1]);
        failed += Number(m[2]);
        seenSummary = true;
      }
    }
  }
  const status = await child.status;
  if (!seenSummary && !status.success) failed += 1; // the suite could not even run
  return { passed, failed, ok: status.success };
}

/** Sets up the Wine lane (idempotent; installs Debian packages the first time). */
async function setUpWineLane(): Promise<void> {
  console.log("\n=== setting up the Wine lane (scripts/setup_wine.sh)");
  const status = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/setup_wine.sh`],
    cwd: ROOT,
  })
    .spawn().status;
  if (!status.success) {
    console.log("\nThe Wine lane could not be set up; see the messages above.");
    console.log("0 passed, 1 failed");
    Deno.exit(1);
  }
}

const lane = Deno.args[0] === "--lane" ? Deno.args[1] : "posix";
const extra = Deno.args[0] === "--lane" ? Deno.args.slice(2) : [...Deno.args];
let passed = 0;
let failed = 0;
let ok = true;
if (lane === "all" || lane === "windows") await setUpWineLane();
for (const suite of suites(lane)) {
  const result = await runSuite(suite, extra);
  passed += result.passed;
  failed += result.failed;
  ok &&= result.ok;
}
console.log(`\n${passed} passed, ${failed} failed`);
Deno.exit(ok && failed === 0 ? 0 : 1);
