import assert from "node:assert/strict";
import { createLogger, formatRecord, redactor, secretValues } from "../../src/log/mod.ts";

function capture() {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  return {
    lines: () => chunks.join("").split("\n").filter((l) => l !== ""),
    writeSync(p: Uint8Array) {
      chunks.push(decoder.decode(p));
      return p.length;
    },
  };
}

const record = {
  ts: "2026-01-02T03:04:05.000Z",
  level: "info" as const,
  msg: "step.end" as const,
  fields: { step: "a b", outcome: "ok", exit_code: 0, list: ["x", "y"], none: undefined },
};

Deno.test("text records: time, level, name, then key=value with quoting where needed", () => {
  assert.equal(
    formatRecord(record, "text"),
    '2026-01-02T03:04:05.000Z info  step.end step="a b" outcome=ok exit_code=0 list=x,y',
  );
});

Deno.test("json records: one object with ts, level, msg first and no undefined fields", () => {
  assert.equal(
    formatRecord(record, "json"),
    '{"ts":"2026-01-02T03:04:05.000Z","level":"info","msg":"step.end","step":"a b",' +
      '"outcome":"ok","exit_code":0,"list":["x","y"]}',
  );
});

Deno.test("secret values are found by name and replaced everywhere, longest first", () => {
  const secrets = secretValues([{ API_TOKEN: "abcdef", HOME: "/root", DB_PASSWORD: "abcdefgh" }], [
    "HOME",
  ]);
  assert.deepEqual(secrets, ["abcdefgh", "abcdef", "/root"]);
  assert.equal(redactor(secrets)("x=abcdefgh y=abcdef z=/root"), "x=*** y=*** z=***");
  assert.deepEqual(secretValues([{ MY_KEY: "ab" }]), [], "too short to redact safely");
});

Deno.test("the logger writes step output prefixed in text mode and as records in json mode", () => {
  const out = capture();
  const text = createLogger({ format: "text", stdout: out, stderr: out });
  text.output("flush", "stdout", "hello");
  assert.deepEqual(out.lines(), ["[flush] hello"]);
  const out2 = capture();
  const json = createLogger({ format: "json", stdout: out2, stderr: out2 });
  json.output("flush", "stderr", "oops");
  const parsed = JSON.parse(out2.lines()[0]);
  assert.equal(parsed.msg, "step.output");
  assert.deepEqual([parsed.step, parsed.stream, parsed.line], ["flush", "stderr", "oops"]);
});

Deno.test("an unwritable log file is reported once and records continue on stdout", () => {
  const out = capture();
  const logger = createLogger({ format: "json", file: "/nonexistent-dir/x.log", stdout: out });
  logger.log("info", "ready", {});
  logger.log("info", "done", {});
  const msgs = out.lines().map((l) => JSON.parse(l).msg);
  assert.deepEqual(msgs, ["log.file_error", "ready", "done"]);
});

Deno.test("a stdout that fails does not make the logger throw", () => {
  const broken = {
    writeSync(): number {
      throw new Deno.errors.BrokenPipe("closed");
    },
  };
  const logger = createLogger({ format: "text", stdout: broken, stderr: broken });
  logger.log("info", "ready", {});
  logger.output("s", "stderr", "x");
  assert.equal(logger.records.length, 1);
});

Deno.test({
  name: "a FIFO as the log file is refused at once instead of blocking the agent",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const fifo = `${dir}/log`;
      assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
      const out = capture();
      const logger = createLogger({ format: "json", file: fifo, stdout: out });
      logger.log("info", "done", {});
      const records = out.lines().map((l) => JSON.parse(l));
      assert.deepEqual(records.map((r) => r.msg), ["log.file_error", "done"]);
      assert.match(records[0].error, /Not a regular file/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
