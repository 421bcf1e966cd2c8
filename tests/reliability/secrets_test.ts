/**
 * Secrets: values of environment variables whose names contain TOKEN, SECRET,
 * PASSWORD or KEY (and of those listed in `log.redact`, and of secret-named
 * step `env` entries) never appear in stdout, stderr, the log file or an error
 * message, whatever path they take: step output, expanded `run`, `cwd`,
 * `main.command` and `log.file` values, `agent check`'s plan, config errors.
 */

import assert from "node:assert/strict";
import { POSIX, readOr, runAgent, withConfig } from "../blackbox/harness.ts";

/** Values with characters that text and JSON formats escape or quote. */
const SECRETS: Record<string, string> = {
  API_TOKEN: "tok-3f9a1c77e2",
  DB_SECRET: 'sec "quoted" \\ back',
  ADMIN_PASSWORD: "pässwörd with spaces",
  SSH_KEY: "key\ttabbed-0xC0FFEE",
  PLAIN_LISTED: "listed-by-name-42",
};
const STEP_ENV_SECRET = "step-env-pw-9931";

/** Every form in which a secret could leak: as is, and JSON-escaped. */
function forms(value: string): string[] {
  return [...new Set([value, JSON.stringify(value).slice(1, -1)])];
}

function assertNoSecret(where: string, text: string): void {
  for (const value of [...Object.values(SECRETS), STEP_ENV_SECRET]) {
    for (const form of forms(value)) {
      assert.ok(!text.includes(form), `${JSON.stringify(form)} leaked in ${where}:\n${text}`);
    }
  }
}

const FORMATS = ["text", "json"] as const;

Deno.test({
  name: "secrets never reach stdout, stderr or the log file during a shutdown",
  ignore: !POSIX,
  async fn() {
    for (const format of FORMATS) {
      await using cfg = await withConfig(`
log: { file: agent.log, redact: [PLAIN_LISTED] }
budget: 10s
steps:
  - name: echoes
    shell: sh
    run: >-
      echo "token=$$API_TOKEN secret=$$DB_SECRET pw=$$ADMIN_PASSWORD key=$$SSH_KEY plain=$$PLAIN_LISTED";
      echo "to stderr $$API_TOKEN" >&2; printf '%s' "$$DB_SECRET"; echo; echo "$$STEP_PASSWORD"
    env: { STEP_PASSWORD: ${STEP_ENV_SECRET} }
  - { name: in-run, shell: sh, run: "echo run has \${API_TOKEN} and \${SSH_KEY}; exit 3" }
  - { name: in-cwd, shell: sh, run: "true", cwd: "/nonexistent/\${DB_SECRET}" }
`);
      const { code, stdout, stderr, agent } = await runAgent(
        ["simulate", "--log-format", format, "-c", cfg.config],
        { cwd: cfg.dir, env: SECRETS, logFormatFlag: false },
      );
      assert.equal(code, 1, stdout + stderr);
      assert.equal(agent.named("done").length, 1);
      const file = await readOr(`${cfg.dir}/agent.log`);
      assert.ok(file.includes("done"), file);
      assertNoSecret(`${format} stdout`, stdout);
      assertNoSecret(`${format} stderr`, stderr);
      assertNoSecret(`${format} log file`, file);
      assert.ok(stdout.includes("***"), "the secrets were there to hide");
      const cwdEnd = agent.named("step.end").find((r) => r.fields.step === "in-cwd")!;
      assert.match(cwdEnd.fields.reason, /\*\*\*/, "the error message names the cwd, redacted");
    }
  },
});

Deno.test({
  name: "secrets in main.command and log.file paths stay hidden in error records",
  ignore: !POSIX,
  async fn() {
    await using cfg = await withConfig(`
log: { file: "/nonexistent-\${API_TOKEN}/agent.log" }
main: { command: ["/nonexistent/\${SSH_KEY}/app"], grace: 1s }
budget: 5s
`);
    const { code, stdout, stderr, agent } = await runAgent(["run", "-c", cfg.config], {
      cwd: cfg.dir,
      env: SECRETS,
    });
    assert.equal(code, 127, stdout + stderr);
    assert.equal(agent.named("log.file_error").length, 1, stdout);
    assert.equal(agent.named("done").length, 1, stdout);
    assertNoSecret("stdout", stdout);
    assertNoSecret("stderr", stderr);
  },
});

Deno.test("agent check prints the plan with secrets hidden", async () => {
  await using cfg = await withConfig(`
log: { redact: [PLAIN_LISTED] }
steps:
  - { name: a, run: "curl -H 'Authorization: \${API_TOKEN}' https://example.invalid/\${PLAIN_LISTED}" }
  - { name: b, run: "echo ${STEP_ENV_SECRET}", env: { DB_PASSWORD: ${STEP_ENV_SECRET} } }
`);
  const { code, stdout, stderr } = await runAgent(["check", "-c", cfg.config], { env: SECRETS });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /Authorization: \*\*\*/);
  assertNoSecret("check stdout", stdout);
  assertNoSecret("check stderr", stderr);
});

Deno.test("config errors name variables and quote the config's text, never a secret's value", async () => {
  // What interpolation errors print: the variable's name, or the raw text of
  // the value as written (with `${API_TOKEN}` unexpanded), never the value.
  const cases = [
    'steps: [{ name: a, run: "echo ${API_TOKEN} ${AGENT_RELIABILITY_UNSET}" }]',
    'steps: [{ name: a, run: "echo ${API_TOKEN} ${" }]',
    'steps: [{ name: a, run: "echo ${API_TOKEN} ${1x}", cwd: "${SSH_KEY}/${}" }]',
    'log: { file: "${DB_SECRET}${" }',
    'main: { command: ["${ADMIN_PASSWORD}", "${AGENT_RELIABILITY_UNSET}"] }',
    "budget: ${API_TOKEN}",
    'steps: [{ name: "${API_TOKEN}", run: "x" }]',
    'steps: [{ name: a, run: "x", env: { K: "${PLAIN_LISTED}${" } }]',
  ];
  for (const yaml of cases) {
    await using cfg = await withConfig(`${yaml}\n`);
    for (const command of ["check", "run", "simulate"]) {
      const { code, stdout, stderr } = await runAgent([command, "-c", cfg.config], {
        env: SECRETS,
      });
      assert.equal(code, 2, `${yaml}\n${command}: ${stdout}\n${stderr}`);
      assert.ok(stderr.startsWith(cfg.config), stderr);
      assertNoSecret(`${command} error for ${yaml}`, stdout + stderr);
    }
  }
});
