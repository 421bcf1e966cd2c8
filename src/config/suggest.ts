/**
 * Did-you-mean hints for unknown keys.
 *
 * @module
 */

/**
 * The known word closest to `word`, when it is close enough to be a likely typo:
 * same letters ignoring case, `-` and `_` (so `continueOnError` finds
 * `continue_on_error`), a known word with something appended (`grace_period`
 * finds `grace`), or a small edit distance.
 *
 * @param word The unknown word.
 * @param known The accepted words.
 * @returns The suggestion, or `undefined` when nothing is close.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const normal = normalize(word);
  const same = known.find((candidate) => normalize(candidate) === normal);
  if (same !== undefined) return same;
  const prefixed = known.find((candidate) =>
    candidate.length >= 3 && normal.startsWith(normalize(candidate))
  );
  if (prefixed !== undefined) return prefixed;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    const limit = Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function normalize(word: string): string {
  return word.toLowerCase().replace(/[-_\s]/g, "");
}

/**
 * Damerau-Levenshtein (optimal string alignment) distance.
 *
 * @param a One word.
 * @param b The other word.
 * @returns The number of insertions, deletions, substitutions and swaps.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i][0] = i;
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
