/**
 * The orchestrators' side, black-box: `agent setup` and `agent doctor`, the
 * cap of `agent run` when the container's limit is shorter than the budget,
 * and the examples (every agent.yaml valid, the numbers fit).
 *
 * In the Windows lane these tests write Wine's real registry
 * (HKLM\...\cexecsvc\ProcessShutdownTimeoutSeconds, ...\Control\WaitToKillServiceTimeout)
 * through the Windows agent, read it back with Wine's reg.exe, and restore
 * the previous state in a `finally`. Other test files run at the same time
 * and read the same registry: the values written here (42 and 32 s) are
 * longer than any budget those use (30 s at most) plus the margin, so they
 * change nothing for them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { EXIT_MARGIN_MS } from "../../src/agent.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { LANE, POSIX, runAgent, startAgent, withConfig } from "./harness.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WINDOWS = LANE === "windows";

// ------------------------------------------------------------------ examples

/** Every agent.yaml under examples/. */
function exampleConfigs(dir = `${ROOT}examples`): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...exampleConfigs(path));
    else if (entry.name === "agent.yaml") found.push(path);
  }
  return found.sort();
}

Deno.test("every example agent.yaml passes agent check", async () => {
  const configs = exampleConfigs();
  assert.ok(configs.length >= 3, configs.join(", "));
  for (const config of configs) {
    const { code, stdout, stderr } = await runAgent(["check", "-c", config]);
    assert.equal(code, 0, `${config}:\n${stdout}\n${stderr}`);
    assert.match(stdout, /: valid/);
  }
});

Deno.test("the Windows examples' numbers fit: grace period and setup timeout >= budget + margin", async () => {
  const config = await loadConfig(`${ROOT}examples/windows/agent.yaml`, { env: {} });
  const needed = config.budgetMs + EXIT_MARGIN_MS;

  const pod = parse(await Deno.readTextFile(`${ROOT}examples/kubernetes/pod.yaml`));
  assert.equal(pod.kind, "Pod");
  assert.equal(pod.spec.nodeSelector["kubernetes.io/os"], "windows");
  const grace = pod.spec.terminationGracePeriodSeconds;
  assert.equal(typeof grace, "number");
  assert.ok(grace * 1000 >= needed, `grace ${grace} s < budget + margin ${needed} ms`);
  const container = pod.spec.containers[0];
  assert.deepEqual(container.lifecycle.preStop.exec.command.slice(1), ["stop", "--wait"]);
  assert.match(container.lifecycle.preStop.exec.command[0], /agent\.exe$/);
  assert.notEqual(container.tty, true);

  const dockerfile = await Deno.readTextFile(`${ROOT}examples/windows/Dockerfile`);
  const setup = /"setup", "--timeout", "(\d+)"/.exec(dockerfile);
  assert.ok(setup, "the Windows Dockerfile runs agent setup --timeout N");
  assert.ok(Number(setup[1]) * 1000 >= needed, `setup ${setup[1]} s < ${needed} ms`);
  assert.match(dockerfile, /ENTRYPOINT \["C:\\\\agent\\\\agent\.exe", "run"/);
});

Deno.test("the Linux example runs the agent as ENTRYPOINT with SIGTERM as stop signal", async () => {
  const dockerfile = await Deno.readTextFile(`${ROOT}examples/linux/Dockerfile`);
  assert.match(dockerfile, /^COPY dist\/agent /m);
  assert.match(dockerfile, /^STOPSIGNAL SIGTERM$/m);
  assert.match(dockerfile, /^ENTRYPOINT \["agent", "run", "--"\]$/m);
});

// ------------------------------------------------------------------ POSIX lane

Deno.test({
  name: "POSIX: setup has nothing to set (exit 0); a bad --timeout exits 2",
  ignore: !POSIX,
  async fn() {
    const ok = await runAgent(["setup", "--timeout", "60"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Nothing to set/);
    for (const bad of ["0", "abc", "86401"]) {
      const result = await runAgent(["setup", "--timeout", bad]);
      assert.equal(result.code, 2, bad);
      assert.match(result.stderr, /--timeout must be/);
    }
  },
});

Deno.test({
  name:
    "POSIX: doctor gives Kubernetes advice in SIGTERM words; exit 0, 1 on a FAIL, 2 on a bad config",
  ignore: !POSIX,
  async fn() {
    await using cfg = await withConfig("budget: 40s\n");
    const fine = await runAgent(["doctor", "-c", cfg.config]);
    assert.equal(fine.code, 0, fine.stdout + fine.stderr);
    assert.match(fine.stdout, /^OK +registry .*not applicable$/m);
    assert.match(fine.stdout, /terminationGracePeriodSeconds: 46 or more/);
    assert.match(fine.stdout, /the kubelet sends SIGTERM/);
    assert.doesNotMatch(fine.stdout, /^FAIL/m);

    await Deno.writeTextFile(cfg.config, "events: [ctrl-c]\n");
    const fail = await runAgent(["doctor", "-c", cfg.config]);
    assert.equal(fail.code, 1, fail.stdout);
    assert.match(fail.stdout, /^FAIL events: "shutdown" is not listed/m);

    await Deno.writeTextFile(cfg.config, "budget: soon\n");
    const bad = await runAgent(["doctor", "-c", cfg.config]);
    assert.equal(bad.code, 2);
  },
});

// ------------------------------------------------------------------ Windows lane (Wine)

const CEXECSVC = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\cexecsvc";
const CONTROL = "HKLM\\SYSTEM\\CurrentControlSet\\Control";
const PST = "ProcessShutdownTimeoutSeconds";
const WTK = "WaitToKillServiceTimeout";

/** Runs Wine's reg.exe in the lane's prefix. */
async function wineReg(...args: string[]): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command("bash", {
    args: ["-c", 'source "$0" && exec "$WINE" reg "$@"', `${ROOT}.wine-lane/env.sh`, ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout).replaceAll("\r", "") };
}

/** A value as reg.exe shows it: type and data; undefined when absent. */
async function regValue(
  key: string,
  name: string,
): Promise<{ type: string; data: string } | undefined> {
  const { code, stdout } = await wineReg("query", key, "/v", name);
  if (code !== 0) return undefined;
  const m = new RegExp(`^\\s+${name}\\s+(REG_\\w+)\\s+(.*)$`, "m").exec(stdout);
  return m ? { type: m[1], data: m[2].trim() } : undefined;
}

async function keyExists(key: string): Promise<boolean> {
  return (await wineReg("query", key)).code === 0;
}

/** Saves the two values (and whether the cexecsvc key exists); the result restores them. */
async function saveRegistry(): Promise<() => Promise<void>> {
  const keyExisted = await keyExists(CEXECSVC);
  const pst = await regValue(CEXECSVC, PST);
  const wtk = await regValue(CONTROL, WTK);
  const put = async (key: string, name: string, value: typeof pst) => {
    if (value === undefined) {
      await wineReg("delete", key, "/v", name, "/f");
      return;
    }
    const data = value.type === "REG_DWORD" ? String(Number(value.data)) : value.data;
    await wineReg("add", key, "/v", name, "/t", value.type, "/d", data, "/f");
  };
  return async () => {
    if (keyExisted) await put(CEXECSVC, PST, pst);
    else await wineReg("delete", CEXECSVC, "/f");
    await put(CONTROL, WTK, wtk);
  };
}

Deno.test({
  name:
    "Windows: setup writes seconds (DWORD) and ms (REG_SZ) to the registry, then is idempotent; doctor reads them",
  ignore: !WINDOWS,
  async fn() {
    const restore = await saveRegistry();
    await using cfg = await withConfig("budget: 10s\n");
    try {
      const first = await runAgent(["setup", "--timeout", "42"]);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, new RegExp(`${PST}: .* -> 42 \\(REG_DWORD\\)`));
      assert.match(first.stdout, new RegExp(`${WTK}: .* -> "42000" \\(REG_SZ\\)`));
      assert.deepEqual(await regValue(CEXECSVC, PST), { type: "REG_DWORD", data: "0x2a" });
      assert.deepEqual(await regValue(CONTROL, WTK), { type: "REG_SZ", data: "42000" });

      const second = await runAgent(["setup", "--timeout", "42"]);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, new RegExp(`${PST}: already set to 42`));
      assert.match(second.stdout, new RegExp(`${WTK}: already set to "42000"`));
      assert.match(second.stdout, /Nothing changed/);

      const fine = await runAgent(["doctor", "-c", cfg.config]);
      assert.equal(fine.code, 0, fine.stdout + fine.stderr);
      assert.match(fine.stdout, new RegExp(`^OK +.*${PST} = 42:`, "m"));
      assert.match(fine.stdout, new RegExp(`^OK +.*${WTK} = "42000"`, "m"));
      assert.match(fine.stdout, /^OK +user32\.dll is loaded/m);
      assert.match(fine.stdout, /\["C:\\\\agent\\\\agent\.exe", "stop", "--wait"\]/);

      await Deno.writeTextFile(cfg.config, "budget: 60s\n");
      const fail = await runAgent(["doctor", "-c", cfg.config]);
      assert.equal(fail.code, 1, fail.stdout + fail.stderr);
      assert.match(fail.stdout, new RegExp(`^FAIL .*${PST} = 42: docker stop kills`, "m"));
      assert.match(fail.stdout, /setup --timeout 66/);
    } finally {
      await restore();
    }
  },
});

Deno.test({
  name: "Windows: run caps a budget the container's limit cannot hold, and ends before the limit",
  ignore: !WINDOWS,
  async fn() {
    const restore = await saveRegistry();
    await using cfg = await withConfig(`budget: 60s
steps:
  - { name: hang, run: "sleep 120" }
  - { name: never, run: "echo never" }
`);
    const limitS = 32; // > 30 s + margin: no other test's agent is affected (see the top)
    const report = `${cfg.dir}/timeline.json`;
    try {
      await wineReg("add", CEXECSVC, "/v", PST, "/t", "REG_DWORD", "/d", String(limitS), "/f");
      const agent = startAgent(["run", "-c", cfg.config, "--report", report], { cwd: cfg.dir });
      try {
        const ready = await agent.waitFor("ready", { timeoutMs: 60_000 });
        assert.equal(ready.fields.platform_limit_ms, String(limitS * 1000));
        const warning = await agent.waitFor("warning");
        assert.equal(warning.fields.platform_limit_ms, String(limitS * 1000));
        assert.equal(
          warning.fields.effective_budget_ms,
          String(limitS * 1000 - 2 * EXIT_MARGIN_MS),
        );
        assert.match(warning.fields.message, /budget \(1m\).*limit \(32s; .*= 32\)/);
        assert.match(warning.fields.message, /agent setup --timeout 66/);
        await restore(); // read at start: the others need not see it any longer

        await agent.send("shutdown");
        const done = await agent.waitFor("done", { timeoutMs: 60_000 });
        assert.equal(done.fields.outcome, "timeout");
        const duration = Number(done.fields.duration_ms);
        assert.ok(duration >= limitS * 1000 - 2 * EXIT_MARGIN_MS - 100, `done after ${duration}`);
        assert.ok(duration <= limitS * 1000 - EXIT_MARGIN_MS, `done after ${duration} ms`);
        assert.equal(await agent.exited, 1, agent.transcript());
        assert.equal(agent.named("step.end")[1]?.fields.outcome, "skipped");
      } finally {
        agent.kill();
      }
      const timeline = JSON.parse(await Deno.readTextFile(report));
      assert.equal(timeline.platform_kill_ms, limitS * 1000);
      assert.equal(timeline.budget_ms, limitS * 1000 - 2 * EXIT_MARGIN_MS);
    } finally {
      await restore();
    }
  },
});
