import assert from "node:assert/strict";
import { formatDuration, MAX_DURATION_MS, parseDuration } from "../../src/config/mod.ts";

const FORMS = "use a number of seconds or a string such as 250ms, 10s, 1m30s, 1.5s, 2m or 1h";

Deno.test("parseDuration accepts every documented form", () => {
  const cases: [string | number, number][] = [
    ["250ms", 250],
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1.5s", 1_500],
    ["1h2m3s4ms", 3_723_004],
    ["0s", 0],
    ["0.5m", 30_000],
    [30, 30_000],
    [0.5, 500],
    [0, 0],
    [0.0004, 0],
    ["24h", MAX_DURATION_MS],
  ];
  for (const [input, expected] of cases) {
    assert.equal(parseDuration(input), expected, `parseDuration(${JSON.stringify(input)})`);
  }
});

Deno.test("parseDuration rejects anything else, naming the accepted forms", () => {
  const invalid: [string | number, string][] = [
    ["", `invalid duration "": ${FORMS}`],
    ["abc", `invalid duration "abc": ${FORMS}`],
    ["10", `invalid duration "10": ${FORMS}`],
    ["10 s", `invalid duration "10 s": ${FORMS}`],
    [" 10s", `invalid duration " 10s": ${FORMS}`],
    ["10sec", `invalid duration "10sec": ${FORMS}`],
    ["1d", `invalid duration "1d": ${FORMS}`],
    [".5s", `invalid duration ".5s": ${FORMS}`],
    ["5.s", `invalid duration "5.s": ${FORMS}`],
    ["10S", `invalid duration "10S": ${FORMS}`],
    ["30s1m", `invalid duration "30s1m": units must appear once each, largest first`],
    ["1s1s", `invalid duration "1s1s": units must appear once each, largest first`],
    ["-5s", `invalid duration "-5s": must not be negative`],
    [-1, "invalid duration -1: must not be negative"],
    [Infinity, `invalid duration Infinity: ${FORMS}`],
    [NaN, `invalid duration NaN: ${FORMS}`],
    ["25h", `duration "25h" is too long: the maximum is 24h`],
    [86_401, "duration 86401 is too long: the maximum is 24h"],
  ];
  for (const [input, message] of invalid) {
    assert.throws(() => parseDuration(input), { message }, `parseDuration(${String(input)})`);
  }
});

Deno.test("formatDuration writes the compact form", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [250, "250ms"],
    [999, "999ms"],
    [1000, "1s"],
    [1500, "1.5s"],
    [1001, "1.001s"],
    [30_000, "30s"],
    [60_000, "1m"],
    [90_000, "1m30s"],
    [61_500, "1m1.5s"],
    [3_600_000, "1h"],
    [3_661_000, "1h1m1s"],
    [5_400_000, "1h30m"],
    [1499.6, "1.5s"],
    [-250, "-250ms"],
  ];
  for (const [ms, expected] of cases) {
    assert.equal(formatDuration(ms), expected, `formatDuration(${ms})`);
  }
});

Deno.test("formatDuration output parses back to the same value", () => {
  for (const ms of [1, 250, 1000, 1500, 59_999, 90_000, 3_723_004, MAX_DURATION_MS]) {
    assert.equal(parseDuration(formatDuration(ms)), ms);
  }
});
