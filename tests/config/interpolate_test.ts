import assert from "node:assert/strict";
import { interpolate } from "../../src/config/interpolate.ts";

const ENV = { HOST: "db.local", PORT: "5432", EMPTY: "", UNSET: undefined };

Deno.test("interpolate expands set variables", () => {
  assert.equal(interpolate("${HOST}:${PORT}", ENV), "db.local:5432");
  assert.equal(interpolate("x${HOST}y", ENV), "xdb.localy");
  assert.equal(interpolate("${EMPTY}", ENV), "");
});

Deno.test("interpolate uses the default when unset or empty", () => {
  assert.equal(interpolate("${NOPE:-fallback}", ENV), "fallback");
  assert.equal(interpolate("${UNSET:-fallback}", ENV), "fallback");
  assert.equal(interpolate("${EMPTY:-fallback}", ENV), "fallback");
  assert.equal(interpolate("${HOST:-fallback}", ENV), "db.local");
  assert.equal(interpolate("${NOPE:-}", ENV), "");
  assert.equal(interpolate("${NOPE:-a b:-c $x}", ENV), "a b:-c $x");
});

Deno.test("interpolate keeps $$ as a literal $ and leaves other $ alone", () => {
  assert.equal(interpolate("$$", ENV), "$");
  assert.equal(interpolate("$${HOST}", ENV), "${HOST}");
  assert.equal(interpolate("echo $HOME", ENV), "echo $HOME");
  assert.equal(interpolate("cost: 5$", ENV), "cost: 5$");
  assert.equal(interpolate("$(date) $1 $", ENV), "$(date) $1 $");
  assert.equal(interpolate("$$$HOST", ENV), "$$HOST");
  assert.equal(interpolate("no refs", ENV), "no refs");
});

Deno.test("interpolate rejects unset variables and malformed references", () => {
  assert.throws(() => interpolate("a ${NOPE} b", ENV), {
    message: 'environment variable NOPE is not set (write "${NOPE:-}" to default to empty)',
  });
  assert.throws(() => interpolate("${UNSET}", ENV), {
    message: 'environment variable UNSET is not set (write "${UNSET:-}" to default to empty)',
  });
  assert.throws(() => interpolate("echo ${HOST", ENV), {
    message: 'unclosed "${" in "echo ${HOST" (write "$$" for a literal "$")',
  });
  assert.throws(() => interpolate("${}", ENV), { message: 'missing variable name in "${}"' });
  assert.throws(() => interpolate("${:-x}", ENV), { message: 'missing variable name in "${:-x}"' });
  assert.throws(() => interpolate("${1A}", ENV), {
    message: 'invalid variable name "1A" in "${1A}": ' +
      'use letters, digits and "_", not starting with a digit',
  });
  assert.throws(() => interpolate("${A-B}", ENV), {
    message: 'invalid variable name "A-B" in "${A-B}": ' +
      'use letters, digits and "_", not starting with a digit',
  });
});
