import assert from "node:assert/strict";
import { pumpLines } from "../../src/process/lines.ts";

function streamOf(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => typeof c === "string" ? encoder.encode(c) : c));
}

async function lines(stream: ReadableStream<Uint8Array>, maxLine?: number): Promise<string[]> {
  const out: string[] = [];
  await pumpLines(stream, (l) => out.push(l), { maxLine });
  return out;
}

Deno.test("lines are split on \\n and \\r\\n, across chunks, with the last partial line kept", async () => {
  assert.deepEqual(await lines(streamOf("a\nb", "c\r\nd\n\ne")), ["a", "bc", "d", "", "e"]);
});

Deno.test("a line longer than maxLine is cut into pieces", async () => {
  assert.deepEqual(await lines(streamOf("abcdefg\nhi"), 3), ["abc", "def", "g", "hi"]);
  assert.deepEqual(await lines(streamOf("x".repeat(10)), 4), ["xxxx", "xxxx", "xx"]);
});

Deno.test("a multi-byte character split across chunks is decoded whole; bad bytes are replaced", async () => {
  const euro = new TextEncoder().encode("€\n");
  assert.deepEqual(await lines(streamOf(euro.slice(0, 1), euro.slice(1))), ["€"]);
  assert.deepEqual(await lines(streamOf(new Uint8Array([0xff, 0x0a]))), ["\ufffd"]);
});

Deno.test("aborting stops reading and keeps what was read", async () => {
  const controller = new AbortController();
  let push!: (s: string) => void;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      push = (s) => c.enqueue(new TextEncoder().encode(s));
    },
  });
  const out: string[] = [];
  const done = pumpLines(stream, (l) => out.push(l), { signal: controller.signal });
  push("first\npart");
  await new Promise((r) => setTimeout(r, 10));
  controller.abort();
  await done;
  assert.deepEqual(out, ["first", "part"]);
});
