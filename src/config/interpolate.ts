/**
 * `${VAR}` expansion for the config values that take it.
 *
 * @module
 */

/** Environment variables used for expansion; `undefined` means "not set". */
export type Env = Record<string, string | undefined>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expand `${VAR}` and `${VAR:-default}` references in `text`.
 *
 * - `${VAR}` is the value of `VAR`; it is an error when `VAR` is not set.
 * - `${VAR:-default}` is the value of `VAR`, or `default` when `VAR` is unset or
 *   empty (as in POSIX shells). The default is literal text up to the first `}`.
 * - `$$` is a literal `$`.
 * - A `$` followed by anything else is kept as is, so `$HOME` reaches the shell.
 *
 * @param text The raw value from the config.
 * @param env The variables to expand from.
 * @returns The expanded text.
 * @throws {Error} When a variable is not set or a `${` is malformed.
 *
 * @example
 * ```ts
 * interpolate("${HOST:-localhost}:$$PORT", {}); // "localhost:$PORT"
 * ```
 */
export function interpolate(text: string, env: Env): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar === -1 || dollar === text.length - 1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
      continue;
    }
    if (next !== "{") {
      out += "$";
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf("}", dollar + 2);
    if (close === -1) {
      throw new Error(
        `unclosed "\${" in ${JSON.stringify(text)} (write "$$" for a literal "$")`,
      );
    }
    const body = text.slice(dollar + 2, close);
    const sep = body.indexOf(":-");
    const name = sep === -1 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      const shown = JSON.stringify(text.slice(dollar, close + 1));
      throw new Error(
        name === ""
          ? `missing variable name in ${shown}`
          : `invalid variable name ${JSON.stringify(name)} in ${shown}: ` +
            `use letters, digits and "_", not starting with a digit`,
      );
    }
    const value = env[name];
    if (sep !== -1) {
      out += value === undefined || value === "" ? body.slice(sep + 2) : value;
    } else if (value === undefined) {
      throw new Error(
        `environment variable ${name} is not set (write "\${${name}:-}" to default to empty)`,
      );
    } else {
      out += value;
    }
    i = close + 1;
  }
  return out;
}
