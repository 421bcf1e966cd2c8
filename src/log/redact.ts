/**
 * Keeping secrets out of logs: values of environment variables whose names look
 * secret (or that the user listed under `log.redact`) are replaced by `***` in
 * every line the agent writes.
 *
 * @module
 */

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL/i;

/** Values shorter than this are not redacted: they would mangle ordinary text. */
export const MIN_SECRET_LENGTH = 3;

/**
 * Collects the values to hide: every variable in `envs` whose name looks secret
 * or is listed in `names`.
 */
export function secretValues(
  envs: readonly Record<string, string | undefined>[],
  names: readonly string[] = [],
): string[] {
  const listed = new Set(names);
  const values = new Set<string>();
  for (const env of envs) {
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
      if (listed.has(name) || SECRET_NAME.test(name)) values.add(value);
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...values].sort((a, b) => b.length - a.length);
}

/** Returns a function that replaces every secret value in a line with `***`. */
export function redactor(secrets: readonly string[]): (line: string) => string {
  if (secrets.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const secret of secrets) {
      if (out.includes(secret)) out = out.replaceAll(secret, "***");
      const quoted = JSON.stringify(secret).slice(1, -1);
      if (quoted !== secret && out.includes(quoted)) out = out.replaceAll(quoted, "***");
    }
    return out;
  };
}
