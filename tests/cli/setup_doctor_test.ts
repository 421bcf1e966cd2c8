/**
 * `agent setup` and `agent doctor` without a registry: error mapping (a
 * permission error cannot be produced under Wine, which runs as an
 * administrator) and the diagnosis for given facts.
 */

import assert from "node:assert/strict";
import { diagnose, type DoctorFacts, formatDiagnosis } from "../../src/cli/doctor.ts";
import { setupError, setupLines } from "../../src/cli/setup.ts";
import { CliError } from "../../src/cli/common.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { EXIT_FAILED, EXIT_NO_PERMISSION } from "../../src/exit_codes.ts";
import { Win32Error } from "../../src/platform/windows/kernel32.ts";
import { fakeRegistry } from "../platform/fake_registry.ts";

Deno.test("setup: access denied exits 77 and says to run as ContainerAdministrator", () => {
  const denied = setupError(new Win32Error("RegCreateKeyExW", 5), "write X");
  assert.equal(denied.exitCode, EXIT_NO_PERMISSION);
  assert.match(denied.message, /access is denied/);
  assert.match(denied.message, /ContainerAdministrator/);
  const other = setupError(new Win32Error("RegSetValueExW", 1009), "write X");
  assert.equal(other.exitCode, EXIT_FAILED);
});

Deno.test("setup: a write refused part-way reports what was done, then fails with 77", () => {
  const registry = fakeRegistry({}, ["SYSTEM\\CurrentControlSet\\Services\\cexecsvc"]);
  const write = registry.write;
  registry.write = (key, name, value) => {
    if (name === "WaitToKillServiceTimeout") throw new Win32Error("RegCreateKeyExW", 5);
    write(key, name, value);
  };
  const lines: string[] = [];
  assert.throws(
    () => {
      for (const line of setupLines(registry, 30)) lines.push(line);
    },
    (error) => error instanceof CliError && error.exitCode === EXIT_NO_PERMISSION,
  );
  assert.equal(lines.length, 1);
  assert.match(lines[0], /ProcessShutdownTimeoutSeconds: not set -> 30/);
});

function facts(yaml: string, more: Partial<DoctorFacts>): DoctorFacts {
  return {
    os: "windows",
    config: parseConfig(yaml, { file: "agent.yaml", env: {} }),
    stdinTty: false,
    agentPath: "C:\\agent\\agent.exe",
    user32Loaded: true,
    ...more,
  };
}

function levels(result: ReturnType<typeof diagnose>, level: string): string[] {
  return result.findings.filter((f) => f.level === level).map((f) => f.text);
}

Deno.test("doctor: a budget that does not fit the container's limit is a FAIL with the fix", () => {
  const result = diagnose(facts("budget: 30s\n", {
    registry: { settings: { inContainer: true } },
  }));
  const fails = levels(result, "FAIL");
  assert.equal(fails.length, 1, fails.join("\n"));
  assert.match(fails[0], /Windows' default of 5 s/);
  assert.match(fails[0], /setup --timeout 36/);
  assert.match(formatDiagnosis(result).at(-1)!, /1 problem found/);
});

Deno.test("doctor: values that fit are OK; a terminal on stdin is a WARN on Windows", () => {
  const result = diagnose(facts("budget: 30s\n", {
    stdinTty: true,
    registry: {
      settings: {
        inContainer: true,
        processShutdownTimeout: { type: "dword", value: 60 },
        waitToKillServiceTimeout: { type: "sz", value: "60000" },
      },
    },
  }));
  assert.deepEqual(levels(result, "FAIL"), []);
  const warns = levels(result, "WARN");
  assert.equal(warns.length, 1, warns.join("\n"));
  assert.match(warns[0], /-t/);
  assert.ok(levels(result, "OK").some((t) => t.includes("user32.dll is loaded")));
  const advice = result.advice.join("\n");
  assert.match(advice, /terminationGracePeriodSeconds: 36 or more/);
  assert.match(advice, /\["C:\\\\agent\\\\agent.exe", "stop", "--wait"\]/);
});

Deno.test("doctor: without the shutdown event, docker stop would kill the agent: FAIL", () => {
  const result = diagnose(facts("events: [ctrl-c]\n", { os: "posix", agentPath: "agent" }));
  assert.equal(levels(result, "FAIL").length, 1);
  assert.match(levels(result, "FAIL")[0], /SIGTERM/);
});

Deno.test("doctor on POSIX: registry and user32 not applicable, SIGTERM advice", () => {
  const result = diagnose(facts("budget: 40s\n", { os: "posix", agentPath: "agent" }));
  assert.deepEqual(levels(result, "FAIL"), []);
  assert.deepEqual(levels(result, "WARN"), []);
  assert.ok(levels(result, "OK").some((t) => /registry.*not applicable/.test(t)));
  const advice = result.advice.join("\n");
  assert.match(advice, /terminationGracePeriodSeconds: 46 or more .*is too short/);
  assert.match(advice, /kubelet sends SIGTERM/);
  assert.match(advice, /docker stop -t 46/);
});
