/**
 * Config problems and the error that carries them.
 *
 * @module
 */

/**
 * One problem found in a config file. Formatted by {@linkcode formatProblem} as
 * `FILE:LINE:COL: PATH: MESSAGE`, leaving out what is unknown.
 */
export interface ConfigProblem {
  /** The config file, as the user named it. */
  file: string;
  /** 1-based line of the offending node, when known. */
  line?: number;
  /** 1-based column of the offending node, when known. */
  col?: number;
  /** Where in the config, e.g. `steps[1].timeout`; absent for the whole file. */
  path?: string;
  /** What is wrong, in sentence case. */
  message: string;
}

/**
 * Format a problem as one line: `FILE:LINE:COL: PATH: MESSAGE`. The position is
 * left out when unknown, the path when the problem concerns the whole file, and
 * line breaks are escaped so a problem never spans two lines.
 *
 * @param problem The problem to format.
 * @returns The line, without a trailing newline.
 *
 * @example
 * ```ts
 * formatProblem({ file: "agent.yaml", line: 4, col: 5, path: "steps[0]", message: "oops" });
 * // "agent.yaml:4:5: steps[0]: oops"
 * ```
 */
export function formatProblem(problem: ConfigProblem): string {
  let where = problem.file;
  if (problem.line !== undefined) {
    where += `:${problem.line}`;
    if (problem.col !== undefined) where += `:${problem.col}`;
  }
  const path = problem.path ? `${problem.path}: ` : "";
  return escapeLineBreaks(`${where}: ${path}${problem.message}`);
}

function escapeLineBreaks(text: string): string {
  return text.replace(/\r\n|\r|\n|\u2028|\u2029/g, (s) => JSON.stringify(s).slice(1, -1));
}

/**
 * Thrown for any invalid or unreadable config. `problems` lists every problem
 * found; `message` is those problems formatted one per line.
 */
export class ConfigError extends Error {
  /** Every problem found, in file order. */
  readonly problems: ConfigProblem[];

  /**
   * Build the error from one or more problems.
   *
   * @param problems The problems; must not be empty.
   */
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}
