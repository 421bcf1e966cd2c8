import assert from "node:assert/strict";
import { resolve } from "node:path";
import {
  type Config,
  ConfigError,
  defaultConfig,
  EVENT_NAMES,
  parseConfig,
} from "../../src/config/mod.ts";

const FILE = "agent.yaml";
const SOURCE = resolve(FILE);

/** Parse `text` (with `env`), expecting it to fail; returns the formatted lines. */
function errorsOf(text: string, env: Record<string, string | undefined> = {}): string[] {
  try {
    parseConfig(text, { file: FILE, env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.message, error.message.split("\n").join("\n"));
    return error.message.split("\n");
  }
  assert.fail("expected the config to be rejected");
}

function parse(text: string, env: Record<string, string | undefined> = {}): Config {
  return parseConfig(text, { file: FILE, env });
}

const FULL = `
version: 1
budget: 1m
events: [shutdown, ctrl-c]
log: { format: json, file: "\${LOG_DIR}/shutdown.log", redact: [MY_VAR, TOKEN] }
main:
  command: [app, --port, "\${PORT:-8080}"]
  stop_event: ctrl-break
  grace: 0
steps:
  - name: deregister
    run: curl -fsS -X PUT http://127.0.0.1:8500/v1/agent/service/deregister/\${SERVICE}
    timeout: 10s
    when: before
    continue_on_error: false
    shell: sh
    env: { KEY: value, COUNT: 3, DEBUG: true, HOME_DIR: "\${HOME}" }
    cwd: /srv
  - parallel:
      - { name: flush, run: "echo $$HOME $HOME", when: after }
      - name: upload.v2
        run: echo upload
        timeout: 1.5s
        shell: pwsh
    when: after
  - name: final_step
    run: echo done
`;

const ENV = { LOG_DIR: "/var/log", SERVICE: "web", HOME: "/root" };

Deno.test("a full config becomes the exact Config", () => {
  const expected: Config = {
    source: SOURCE,
    budgetMs: 60_000,
    events: ["shutdown", "ctrl-c"],
    log: { format: "json", file: "/var/log/shutdown.log", redact: ["MY_VAR", "TOKEN"] },
    main: { command: ["app", "--port", "8080"], stopEvent: "ctrl-break", graceMs: 0 },
    steps: [
      {
        kind: "step",
        step: {
          name: "deregister",
          run: "curl -fsS -X PUT http://127.0.0.1:8500/v1/agent/service/deregister/web",
          timeoutMs: 10_000,
          when: "before",
          continueOnError: false,
          shell: "sh",
          env: { KEY: "value", COUNT: "3", DEBUG: "true", HOME_DIR: "/root" },
          cwd: "/srv",
        },
      },
      {
        kind: "parallel",
        when: "after",
        steps: [
          {
            name: "flush",
            run: "echo $HOME $HOME",
            when: "after",
            continueOnError: true,
            shell: "dax",
            env: {},
          },
          {
            name: "upload.v2",
            run: "echo upload",
            timeoutMs: 1500,
            when: "after",
            continueOnError: true,
            shell: "pwsh",
            env: {},
          },
        ],
      },
      {
        kind: "step",
        step: {
          name: "final_step",
          run: "echo done",
          when: "before",
          continueOnError: true,
          shell: "dax",
          env: {},
        },
      },
    ],
  };
  assert.deepStrictEqual(parse(FULL, ENV), expected);
});

Deno.test("defaultConfig has no steps, a 30s budget, every event and text logs", () => {
  assert.deepStrictEqual(defaultConfig(), {
    budgetMs: 30_000,
    events: [...EVENT_NAMES],
    log: { format: "text", redact: [] },
    steps: [],
  });
  // Fresh objects each time: callers may mutate them.
  const a = defaultConfig();
  a.events.pop();
  assert.equal(defaultConfig().events.length, 5);
});

Deno.test("an empty file, or one with only comments, is all defaults", () => {
  const expected = { ...defaultConfig(), source: SOURCE };
  for (const text of ["", "\n\n", "# nothing here\n  # still nothing\n", "---\n", "~\n"]) {
    assert.deepStrictEqual(parse(text), expected, JSON.stringify(text));
  }
});

Deno.test("empty sections are the same as absent ones", () => {
  assert.deepStrictEqual(parse("log:\nmain:\nsteps:\n"), { ...defaultConfig(), source: SOURCE });
  assert.deepStrictEqual(parse("main: {}\nlog: {}\nsteps: []\n"), {
    ...defaultConfig(),
    source: SOURCE,
    main: { graceMs: 10_000 },
  });
});

Deno.test("source is the file made absolute", () => {
  assert.equal(parseConfig("", { file: "conf/x.yaml", env: {} }).source, resolve("conf/x.yaml"));
  assert.equal(parseConfig("", { file: "/etc/agent.yaml", env: {} }).source, "/etc/agent.yaml");
});

Deno.test("durations: every form in budget, timeout and grace", () => {
  const config = parse(`
budget: 1m30s
main: { grace: 1.5s }
steps:
  - { name: a, run: x, timeout: 250ms }
  - { name: b, run: x, timeout: 2 }
  - { name: c, run: x, timeout: 0.5 }
  - { name: d, run: x, timeout: 1m }
`);
  assert.equal(config.budgetMs, 90_000);
  assert.equal(config.main?.graceMs, 1500);
  const timeouts = config.steps.map((e) => e.kind === "step" ? e.step.timeoutMs : -1);
  assert.deepStrictEqual(timeouts, [250, 2000, 500, 60_000]);
  assert.equal(parse("budget: 2h\n").budgetMs, 7_200_000);
  assert.equal(parse("budget: 45\n").budgetMs, 45_000);
});

Deno.test("durations: invalid ones name the accepted forms", () => {
  const forms = "use a number of seconds or a string such as 250ms, 10s, 1m30s, 1.5s, 2m or 1h";
  assert.deepStrictEqual(errorsOf("budget: 10 seconds\n"), [
    `agent.yaml:1:9: budget: invalid duration "10 seconds": ${forms}`,
  ]);
  assert.deepStrictEqual(errorsOf("budget: true\n"), [
    "agent.yaml:1:9: budget: expected a duration: a number of seconds or a string such as " +
    "250ms, 10s, 1m30s, 1.5s, 2m or 1h; got a boolean true",
  ]);
  assert.deepStrictEqual(errorsOf("budget: [1s]\n"), [
    "agent.yaml:1:9: budget: expected a duration: a number of seconds or a string such as " +
    "250ms, 10s, 1m30s, 1.5s, 2m or 1h; got a list",
  ]);
  assert.deepStrictEqual(errorsOf("budget: 0\n"), [
    "agent.yaml:1:9: budget: must be longer than 0",
  ]);
  assert.deepStrictEqual(errorsOf("budget: 0s\n"), [
    "agent.yaml:1:9: budget: must be longer than 0",
  ]);
  assert.deepStrictEqual(errorsOf("budget: -1\n"), [
    "agent.yaml:1:9: budget: invalid duration -1: must not be negative",
  ]);
  assert.deepStrictEqual(errorsOf("budget: 100h\n"), [
    'agent.yaml:1:9: budget: duration "100h" is too long: the maximum is 24h',
  ]);
  assert.deepStrictEqual(errorsOf("steps:\n  - { name: a, run: x, timeout: 0ms }\n"), [
    "agent.yaml:2:33: steps[0].timeout: must be longer than 0",
  ]);
  assert.deepStrictEqual(errorsOf("main: { grace: 5 minutes }\n"), [
    `agent.yaml:1:16: main.grace: invalid duration "5 minutes": ${forms}`,
  ]);
});

Deno.test("interpolation in run, cwd, env values, log.file and main.command", () => {
  const config = parse(
    `
log: { file: "\${DIR:-/tmp}/agent.log" }
main: { command: ["\${APP}", "--name=\${NAME:-x}", "$$literal", "$PATH"] }
steps:
  - name: a
    run: echo \${GREETING} $USER $$ $\${GREETING}
    cwd: \${DIR:-/srv}
    env: { A: "\${APP}-1", B: "$NOT_EXPANDED", C: 1 }
`,
    { APP: "server", GREETING: "hi" },
  );
  assert.equal(config.log.file, "/tmp/agent.log");
  assert.deepStrictEqual(config.main?.command, ["server", "--name=x", "$literal", "$PATH"]);
  const entry = config.steps[0];
  assert.ok(entry.kind === "step");
  assert.equal(entry.step.run, "echo hi $USER $ ${GREETING}");
  assert.equal(entry.step.cwd, "/srv");
  assert.deepStrictEqual(entry.step.env, { A: "server-1", B: "$NOT_EXPANDED", C: "1" });
});

Deno.test("interpolation is not applied to names or other keys", () => {
  assert.deepStrictEqual(errorsOf('steps:\n  - { name: "${X}", run: x }\n', { X: "a" }), [
    'agent.yaml:2:13: steps[0].name: must contain only letters, digits, "-", "_" and "."',
  ]);
});

Deno.test("interpolation errors point at the value", () => {
  assert.deepStrictEqual(
    errorsOf(`
log: { file: "\${LOGS}" }
main: { command: [app, "\${PORT"] }
steps:
  - name: a
    run: echo \${MISSING}
    cwd: "\${1DIR}"
    env: { K: "\${}" }
`),
    [
      'agent.yaml:2:14: log.file: environment variable LOGS is not set (write "${LOGS:-}" to ' +
      "default to empty)",
      'agent.yaml:3:24: main.command[1]: unclosed "${" in "${PORT" (write "$$" for a literal "$")',
      "agent.yaml:6:10: steps[0].run: environment variable MISSING is not set " +
      '(write "${MISSING:-}" to default to empty)',
      'agent.yaml:7:10: steps[0].cwd: invalid variable name "1DIR" in "${1DIR}": use letters, ' +
      'digits and "_", not starting with a digit',
      'agent.yaml:8:15: steps[0].env.K: missing variable name in "${}"',
    ],
  );
});

Deno.test("unknown keys: did-you-mean at the key's line:col", () => {
  assert.deepStrictEqual(
    errorsOf(`budget: 30s
steps:
  - name: deregister
    timout: 10s
    run: echo
`),
    ['agent.yaml:4:5: steps[0]: unknown key "timout" (did you mean "timeout"?)'],
  );
  assert.deepStrictEqual(
    errorsOf(`buget: 30s
evnets: [close]
log: { fromat: json }
main: { grace_period: 1s, stop-event: close }
steps:
  - name: a
    run: x
    continueOnError: false
    Shell: sh
  - parallel: [{ name: b, run: x, enviroment: {} }]
    wehn: after
  - name: c
    command: x
`),
    [
      'agent.yaml:1:1: unknown key "buget" (did you mean "budget"?)',
      'agent.yaml:2:1: unknown key "evnets" (did you mean "events"?)',
      'agent.yaml:3:8: log: unknown key "fromat" (did you mean "format"?)',
      'agent.yaml:4:9: main: unknown key "grace_period" (did you mean "grace"?)',
      'agent.yaml:4:27: main: unknown key "stop-event" (did you mean "stop_event"?)',
      'agent.yaml:8:5: steps[0]: unknown key "continueOnError" (did you mean "continue_on_error"?)',
      'agent.yaml:9:5: steps[0]: unknown key "Shell" (did you mean "shell"?)',
      'agent.yaml:10:35: steps[1].parallel[0]: unknown key "enviroment" (did you mean "env"?)',
      'agent.yaml:11:5: steps[1]: unknown key "wehn" (did you mean "when"?)',
      'agent.yaml:12:5: steps[2]: missing required key "run"',
      'agent.yaml:13:5: steps[2]: unknown key "command" (expected one of name, run, timeout, ' +
      "when, continue_on_error, shell, env, cwd)",
    ],
  );
});

Deno.test("wrong types and values", () => {
  assert.deepStrictEqual(
    errorsOf(`version: 2
events: close
log: { format: xml, redact: MY_VAR }
main: { command: app, stop_event: sigterm }
steps:
  - name: a
    run: [echo, hi]
    when: later
    continue_on_error: "no"
    shell: zsh
    env: [A=1]
    cwd: 3
`),
    [
      "agent.yaml:1:10: version: only version 1 is supported; got a number 2",
      'agent.yaml:2:9: events: expected a list; got a string "close"',
      'agent.yaml:3:16: log.format: expected one of text, json; got a string "xml"',
      'agent.yaml:3:29: log.redact: expected a list; got a string "MY_VAR"',
      'agent.yaml:4:18: main.command: expected a list; got a string "app"',
      "agent.yaml:4:35: main.stop_event: expected one of shutdown, close, logoff, ctrl-c, " +
      'ctrl-break; got a string "sigterm"',
      "agent.yaml:7:10: steps[0].run: expected a string; got a list",
      'agent.yaml:8:11: steps[0].when: expected one of before, after; got a string "later"',
      'agent.yaml:9:24: steps[0].continue_on_error: expected a boolean; got a string "no"',
      "agent.yaml:10:12: steps[0].shell: expected one of dax, cmd, powershell, pwsh, sh, bash; " +
      'got a string "zsh"',
      "agent.yaml:11:10: steps[0].env: expected a mapping; got a list",
      "agent.yaml:12:10: steps[0].cwd: expected a string; got a number 3",
    ],
  );
});

Deno.test("missing required keys point at the parent mapping", () => {
  assert.deepStrictEqual(errorsOf("steps:\n  - run: echo\n  - name: b\n"), [
    'agent.yaml:2:5: steps[0]: missing required key "name"',
    'agent.yaml:3:5: steps[1]: missing required key "run"',
  ]);
});

Deno.test("empty values, null values and bad names", () => {
  assert.deepStrictEqual(
    errorsOf(`events: []
main: { command: [] }
log: { redact: [""], file: "" }
steps:
  - name:
    run: ""
  - { name: "has space", run: x }
  - { name: "", run: x }
  - { name: 42, run: x }
  - name: ${"x".repeat(101)}
    run: x
  - { name: ok, run: x, env: { A: ~, B: { c: 1 } } }
`),
    [
      "agent.yaml:1:9: events: must list at least one event",
      "agent.yaml:2:18: main.command: must not be empty",
      "agent.yaml:3:17: log.redact[0]: must not be empty",
      "agent.yaml:3:28: log.file: must not be empty",
      "agent.yaml:5:5: steps[0].name: expected a string; got null",
      "agent.yaml:6:10: steps[0].run: must not be empty",
      'agent.yaml:7:13: steps[1].name: must contain only letters, digits, "-", "_" and "."',
      "agent.yaml:8:13: steps[2].name: must not be empty",
      "agent.yaml:9:13: steps[3].name: expected a string; got a number 42",
      "agent.yaml:10:11: steps[4].name: must be at most 100 characters",
      "agent.yaml:12:35: steps[5].env.A: expected a string, number or boolean; got null",
      "agent.yaml:12:41: steps[5].env.B: expected a string, number or boolean; got a mapping",
    ],
  );
});

Deno.test("duplicate events and step names, pointing at the second one", () => {
  assert.deepStrictEqual(
    errorsOf(`events: [close, shutdown, close]
steps:
  - { name: deregister, run: x }
  - parallel:
      - { name: flush, run: x }
      - { name: deregister, run: x }
  - name: flush
    run: x
`),
    [
      'agent.yaml:1:27: events[2]: duplicate event "close"',
      'agent.yaml:6:17: steps[1].parallel[1].name: duplicate step name "deregister" ' +
      "(first used by steps[0])",
      'agent.yaml:7:11: steps[2].name: duplicate step name "flush" ' +
      "(first used by steps[1].parallel[0])",
    ],
  );
});

Deno.test("a timeout or grace longer than the budget", () => {
  assert.deepStrictEqual(
    errorsOf(`main: { grace: 31s }
steps:
  - { name: a, run: x, timeout: 30s }
  - { name: b, run: x, timeout: 40s }
  - parallel: [{ name: c, run: x, timeout: 1m }]
`),
    [
      "agent.yaml:1:16: main.grace: 31s is longer than the budget (30s)",
      "agent.yaml:4:33: steps[1].timeout: 40s is longer than the budget (30s)",
      "agent.yaml:5:44: steps[2].parallel[0].timeout: 1m is longer than the budget (30s)",
    ],
  );
  assert.deepStrictEqual(errorsOf("budget: 5s\nsteps:\n  - { name: a, run: x, timeout: 5.5 }\n"), [
    "agent.yaml:3:33: steps[0].timeout: 5.5s is longer than the budget (5s)",
  ]);
  // The default grace (10s) is checked too.
  assert.deepStrictEqual(errorsOf("budget: 5s\nmain: {}\n"), [
    "agent.yaml:2:7: main: the default grace (10s) is longer than the budget (5s); " +
    "set a shorter main.grace",
  ]);
  // Equal is fine.
  assert.equal(parse("budget: 10s\nmain: { grace: 10s }\n").main?.graceMs, 10_000);
});

Deno.test("parallel groups: when, emptiness, nesting, both parallel and run", () => {
  const config = parse(`steps:
  - parallel:
      - { name: a, run: x, when: after }
    when: after
  - parallel:
      - { name: b, run: x, when: before }
`);
  assert.deepStrictEqual(
    config.steps.map((e) => e.kind === "parallel" ? [e.when, e.steps[0].when] : []),
    [["after", "after"], ["before", "before"]],
  );
  assert.deepStrictEqual(
    errorsOf(`steps:
  - parallel: []
  - parallel:
      - { name: a, run: x, when: before }
    when: after
  - parallel:
      - { name: b, run: x, when: after }
  - parallel:
      - { name: c, run: x }
      - parallel: [{ name: d, run: x }]
  - name: e
    run: x
    parallel: [{ name: f, run: x }]
  - parallel: {}
  - parallel: ~
  - [a, b]
  - just a string
`),
    [
      "agent.yaml:2:15: steps[0].parallel: a parallel group needs at least one step",
      'agent.yaml:4:34: steps[1].parallel[0].when: "before" conflicts with the group\'s when ' +
      '("after"); set when on the group instead',
      'agent.yaml:7:34: steps[2].parallel[0].when: "after" conflicts with the group\'s when ' +
      '("before", the default); set when on the group instead',
      "agent.yaml:10:9: steps[3].parallel[1]: parallel groups cannot be nested",
      'agent.yaml:12:5: steps[4]: an entry cannot have both "parallel" and "run"; make the step ' +
      "its own entry or move it into the group",
      "agent.yaml:14:15: steps[5].parallel: expected a list; got a mapping",
      "agent.yaml:15:15: steps[6].parallel: expected a list; got null",
      "agent.yaml:16:5: steps[7]: expected a step (a mapping with name and run) or a parallel " +
      "group; got a list",
      "agent.yaml:17:5: steps[8]: expected a step (a mapping with name and run) or a parallel " +
      'group; got a string "just a string"',
    ],
  );
});

Deno.test("broken YAML is reported by the parser with line:col", () => {
  assert.deepStrictEqual(errorsOf("steps:\n  - name: a\n    run: [echo\nbudget: 1s\n"), [
    "agent.yaml:4:1: Flow sequence in block collection must be sufficiently indented and end " +
    "with a ]",
  ]);
  assert.deepStrictEqual(errorsOf("budget: 'unterminated\n"), [
    "agent.yaml:2:1: Missing closing 'quote",
  ]);
  assert.deepStrictEqual(errorsOf("a:\n\t- x\n"), [
    "agent.yaml:2:1: Tabs are not allowed as indentation",
  ]);
  assert.deepStrictEqual(errorsOf("budget: 1s\n---\nbudget: 2s\n"), [
    "agent.yaml:2:1: the file must hold a single YAML document (found another after ---)",
  ]);
});

Deno.test("duplicate YAML keys are an error", () => {
  assert.deepStrictEqual(errorsOf("budget: 1s\nsteps: []\nbudget: 2s\n"), [
    "agent.yaml:3:1: Map keys must be unique",
  ]);
  assert.deepStrictEqual(errorsOf("steps:\n  - { name: a, run: x, name: b }\n"), [
    "agent.yaml:2:24: Map keys must be unique",
  ]);
});

Deno.test("anchors and aliases work; merge keys too; unknown aliases are errors", () => {
  const config = parse(
    `steps:
  - name: a
    run: &cmd echo hi
    env: &env { A: "1", B: two }
  - name: b
    run: *cmd
    env: *env
  - name: c
    run: echo c
    env: { <<: *env, B: three }
`,
  );
  const envs = config.steps.map((e) => e.kind === "step" ? e.step.env : {});
  assert.deepStrictEqual(envs, [{ A: "1", B: "two" }, { A: "1", B: "two" }, {
    A: "1",
    B: "three",
  }]);
  assert.equal(config.steps[1].kind === "step" && config.steps[1].step.run, "echo hi");
  assert.deepStrictEqual(errorsOf("budget: *nope\n"), [
    "agent.yaml:1:9: unknown alias *nope (define the anchor &nope before it)",
  ]);
});

Deno.test("the top level must be a mapping", () => {
  assert.deepStrictEqual(errorsOf("- name: a\n  run: x\n"), [
    "agent.yaml:1:1: the top level must be a mapping; got a list",
  ]);
  assert.deepStrictEqual(errorsOf("just text\n"), [
    'agent.yaml:1:1: the top level must be a mapping; got a string "just text"',
  ]);
  assert.deepStrictEqual(errorsOf("42\n"), [
    "agent.yaml:1:1: the top level must be a mapping; got a number 42",
  ]);
});

Deno.test("every problem is reported, in file order, one line each", () => {
  let caught: unknown;
  try {
    parseConfig("steps:\n  - { name: a, run: x, timeout: 40s }\nbudget: nope\nfoo: 1\n", {
      file: "dir/my agent.yaml",
      env: {},
    });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError);
  assert.equal(caught.name, "ConfigError");
  assert.deepStrictEqual(caught.problems, [
    {
      file: "dir/my agent.yaml",
      line: 3,
      col: 9,
      path: "budget",
      message: 'invalid duration "nope": use a number of seconds or a string such as 250ms, ' +
        "10s, 1m30s, 1.5s, 2m or 1h",
    },
    {
      file: "dir/my agent.yaml",
      line: 4,
      col: 1,
      message: 'unknown key "foo" (expected one of version, budget, events, log, main, steps)',
    },
  ]);
  assert.equal(caught.message.split("\n").length, 2);
  assert.ok(caught.message.startsWith("dir/my agent.yaml:3:9: budget: invalid duration"));
});

Deno.test("line breaks in values are escaped so each problem stays on one line", () => {
  const lines = errorsOf('steps:\n  - { name: a, run: "echo ${X\\nY}" }\n');
  assert.deepStrictEqual(lines, [
    'agent.yaml:2:21: steps[0].run: invalid variable name "X\\nY" in "${X\\nY}": use letters, ' +
    'digits and "_", not starting with a digit',
  ]);
});

Deno.test("env keys that are not identifiers are quoted in paths", () => {
  assert.deepStrictEqual(errorsOf('steps:\n  - { name: a, run: x, env: { "a.b": [1] } }\n'), [
    'agent.yaml:2:38: steps[0].env["a.b"]: expected a string, number or boolean; got a list',
  ]);
});
