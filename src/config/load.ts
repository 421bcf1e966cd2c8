/**
 * Reading `agent.yaml` into a {@linkcode Config}.
 *
 * @module
 */

import { resolve } from "node:path";
import { type Document, isAlias, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
import type { z } from "zod";
import { formatDuration, parseDuration } from "./duration.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import type { Env } from "./interpolate.ts";
import { type ConfigPath, formatPath, positionOf } from "./positions.ts";
import {
  configSchema,
  DEFAULT_BUDGET,
  DEFAULT_GRACE,
  describeInput,
  KNOWN_KEYS,
  type ParsedConfig,
  type ParsedStep,
} from "./schema.ts";
import { closest } from "./suggest.ts";
import type { Config, StepConfig, StepEntry, When } from "./types.ts";

/** Options of {@linkcode parseConfig}. */
export interface ParseOptions {
  /** The file name used in messages; `source` is this path made absolute. */
  file: string;
  /** Variables for `${VAR}` expansion; defaults to the process environment. */
  env?: Env;
}

/** Options of {@linkcode loadConfig}. */
export interface LoadOptions {
  /** Variables for `${VAR}` expansion; defaults to the process environment. */
  env?: Env;
}

const DEFAULT_GRACE_MS = parseDuration(DEFAULT_GRACE);

type Issue = z.core.$ZodIssue & { input?: unknown };

/** Everything needed to turn a path into a problem. */
interface Context {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  data: unknown;
  problems: ConfigProblem[];
  /** Paths already reported, for problems that several issues point to. */
  reported: Set<string>;
}

/**
 * The configuration used when there is no config file: no steps, a 30s budget,
 * every event, text logs.
 *
 * @returns A fresh default config.
 */
export function defaultConfig(): Config {
  return toConfig(configSchema({ env: {} }).parse({}), undefined);
}

/**
 * Parse and validate the text of an `agent.yaml`.
 *
 * @param text The YAML text.
 * @param options `file` names the file in messages; `env` for `${VAR}` expansion.
 * @returns The validated config, with `source` set to `file` made absolute.
 * @throws {ConfigError} Listing every problem found.
 *
 * @example
 * ```ts
 * const config = parseConfig("budget: 1m\n", { file: "agent.yaml", env: {} });
 * config.budgetMs; // 60000
 * ```
 */
export function parseConfig(text: string, options: ParseOptions): Config {
  const file = options.file;
  const lineCounter = new LineCounter();
  let doc: Document;
  let aliasProblems: ConfigProblem[];
  try {
    doc = parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      merge: true,
    });
    aliasProblems = doc.errors.length > 0 ? [] : checkAliases(file, doc, lineCounter);
  } catch (error) {
    // The yaml parser is recursive: very deep nesting overflows the stack (a RangeError).
    const message = error instanceof RangeError
      ? "the YAML is nested too deeply"
      : `cannot read the YAML: ${(error as Error).message}`;
    throw new ConfigError([{ file, message }]);
  }
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((error) => yamlProblem(file, lineCounter, error)));
  }
  if (aliasProblems.length > 0) throw new ConfigError(aliasProblems);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (error) {
    throw new ConfigError([{ file, message: `cannot read the YAML: ${(error as Error).message}` }]);
  }

  const ctx: Context = { file, doc, lineCounter, data, problems: [], reported: new Set() };
  const result = configSchema({ env: options.env ?? processEnv() }).safeParse(data, {
    reportInput: true,
  });
  if (!result.success) {
    for (const issue of result.error.issues) addIssue(ctx, issue as Issue, []);
  }
  checkSemantics(ctx);
  if (ctx.problems.length > 0) throw new ConfigError(sortProblems(ctx.problems));
  return toConfig(result.data as ParsedConfig, resolve(file));
}

/**
 * Read, parse and validate an `agent.yaml`.
 *
 * @param file The path, as the user gave it (it names the file in messages).
 * @param options `env` for `${VAR}` expansion.
 * @returns The validated config.
 * @throws {ConfigError} When the file cannot be read, is not UTF-8 text, or is invalid.
 */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<Config> {
  const bytes = await readBytes(file);
  return parseConfig(decode(file, bytes), { file, env: options.env });
}

async function readBytes(file: string): Promise<Uint8Array> {
  const fail = (message: string) => new ConfigError([{ file, message }]);
  try {
    const info = await Deno.stat(file);
    if (info.isDirectory) throw fail("is a directory, not a config file");
    return await Deno.readFile(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (error instanceof Deno.errors.NotFound) throw fail("file not found");
    if (error instanceof Deno.errors.IsADirectory) throw fail("is a directory, not a config file");
    if (error instanceof Deno.errors.PermissionDenied) throw fail("permission denied");
    throw fail(`cannot read the file: ${(error as Error).message}`);
  }
}

function decode(file: string, bytes: Uint8Array): string {
  const fail = (message: string) => new ConfigError([{ file, message }]);
  if (
    bytes.length >= 2 &&
    ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
  ) {
    throw fail("is UTF-16 text; save it as UTF-8");
  }
  if (bytes.includes(0)) throw fail("looks like a binary file, not YAML text");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw fail("is not valid UTF-8 text");
  }
}

/** The process environment, looked up lazily (case-insensitively on Windows). */
function processEnv(): Env {
  return new Proxy({}, {
    get: (_target, name) => typeof name === "string" ? Deno.env.get(name) : undefined,
  });
}

function yamlProblem(file: string, lineCounter: LineCounter, error: YAMLError): ConfigProblem {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const message = error.code === "MULTIPLE_DOCS"
    ? "the file must hold a single YAML document (found another after ---)"
    : error.message;
  return { file, line, col, message };
}

function checkAliases(file: string, doc: Document, lineCounter: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.resolve(doc) === undefined) {
        const pos = node.range ? lineCounter.linePos(node.range[0]) : undefined;
        problems.push({
          file,
          ...pos,
          message: `unknown alias *${node.source} (define the anchor &${node.source} before it)`,
        });
      }
    },
  });
  return problems;
}

function addProblem(
  ctx: Context,
  path: ConfigPath,
  message: string,
  options: { at?: ConfigPath; key?: boolean } = {},
): void {
  const pos = positionOf(ctx.doc, ctx.lineCounter, options.at ?? path, { key: options.key });
  const formatted = formatPath(path);
  ctx.problems.push({
    file: ctx.file,
    ...(pos ? { line: pos.line, col: pos.col } : {}),
    ...(formatted ? { path: formatted } : {}),
    message,
  });
}

function addIssue(ctx: Context, issue: Issue, prefix: ConfigPath): void {
  const path = [...prefix, ...issue.path];
  const entryPath = path.slice(0, 2);
  const entry = path[0] === "steps" ? valueAt(ctx.data, entryPath) : undefined;
  if (isPlainObject(entry) && "parallel" in entry && "run" in entry) {
    // Whichever way zod reads it, the one thing to say is that it is both.
    const key = formatPath(entryPath);
    if (!ctx.reported.has(key)) {
      ctx.reported.add(key);
      addProblem(
        ctx,
        entryPath,
        'an entry cannot have both "parallel" and "run"; make the step its own entry or ' +
          "move it into the group",
        { at: [...entryPath, "run"], key: true },
      );
    }
    return;
  }
  if (isInNestedGroup(ctx.data, path)) {
    // Only say what is wrong with it, not every way it fails as a step.
    if (issue.code === "unrecognized_keys" && path.length === 4) {
      addProblem(ctx, path, "parallel groups cannot be nested", {
        at: [...path, "parallel"],
        key: true,
      });
    }
    return;
  }
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(ctx.data, path);
      for (const key of issue.keys) {
        addProblem(ctx, path, unknownKeyMessage(key, known), {
          at: [...path, key],
          key: true,
        });
      }
      return;
    }
    case "invalid_union": {
      if (isStepEntryPath(path)) {
        addEntryIssue(ctx, issue, path);
      } else {
        addProblem(ctx, path, withGot(issue.message, issue.input));
      }
      return;
    }
    case "invalid_type": {
      if (!("input" in issue) || issue.input === undefined) {
        const key = path[path.length - 1];
        addProblem(ctx, path.slice(0, -1), `missing required key ${JSON.stringify(key)}`);
      } else if (path.length === 0) {
        addProblem(ctx, path, `the top level must be a mapping; got ${describeInput(issue.input)}`);
      } else {
        addProblem(
          ctx,
          path,
          `expected ${typeName(issue.expected)}; got ${describeInput(issue.input)}`,
        );
      }
      return;
    }
    case "invalid_value": {
      if (!issue.message.startsWith("Invalid")) {
        addProblem(ctx, path, withGot(issue.message, issue.input));
      } else {
        const values = issue.values.map((value) => String(value)).join(", ");
        addProblem(ctx, path, `expected one of ${values}; got ${describeInput(issue.input)}`);
      }
      return;
    }
    default:
      addProblem(ctx, path, issue.message);
  }
}

/** A `steps[i]` entry failed both as a step and as a group: say why, for the one it looks like. */
function addEntryIssue(
  ctx: Context,
  issue: Issue & { code: "invalid_union" },
  path: ConfigPath,
): void {
  const entry = issue.input;
  if (!isPlainObject(entry)) {
    addProblem(
      ctx,
      path,
      `expected a step (a mapping with name and run) or a parallel group; got ${
        describeInput(entry)
      }`,
    );
    return;
  }
  const branch = issue.errors["parallel" in entry ? 1 : 0] ?? [];
  for (const inner of branch) addIssue(ctx, inner as Issue, path);
}

/** Whether `path` is in a member of a parallel group that is itself a group. */
function isInNestedGroup(data: unknown, path: ConfigPath): boolean {
  if (path[0] !== "steps" || path[2] !== "parallel" || path.length < 4) return false;
  const member = valueAt(data, path.slice(0, 4));
  return isPlainObject(member) && "parallel" in member;
}

function isStepEntryPath(path: ConfigPath): boolean {
  return path[0] === "steps" && typeof path[1] === "number" && path.length === 2;
}

function knownKeys(data: unknown, path: ConfigPath): string[] {
  if (path.length === 0) return KNOWN_KEYS.root;
  if (path.length === 1 && path[0] === "log") return KNOWN_KEYS.log;
  if (path.length === 1 && path[0] === "main") return KNOWN_KEYS.main;
  if (path[0] === "steps" && path.length === 2) {
    const entry = valueAt(data, path);
    return isPlainObject(entry) && "parallel" in entry ? KNOWN_KEYS.group : KNOWN_KEYS.step;
  }
  return KNOWN_KEYS.step;
}

function unknownKeyMessage(key: string, known: string[]): string {
  const hint = closest(key, known);
  return hint === undefined
    ? `unknown key ${JSON.stringify(key)} (expected one of ${known.join(", ")})`
    : `unknown key ${JSON.stringify(key)} (did you mean ${JSON.stringify(hint)}?)`;
}

function withGot(message: string, input: unknown): string {
  return input === undefined ? message : `${message}; got ${describeInput(input)}`;
}

function typeName(expected: string): string {
  switch (expected) {
    case "object":
    case "record":
    case "map":
      return "a mapping";
    case "array":
      return "a list";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    default:
      return expected;
  }
}

/** Cross-field rules, checked on the raw data so they are reported alongside schema errors. */
function checkSemantics(ctx: Context): void {
  const data = ctx.data;
  if (!isPlainObject(data)) return;

  if (Array.isArray(data.events)) {
    const seen = new Set<unknown>();
    data.events.forEach((event, i) => {
      if (typeof event === "string" && seen.has(event)) {
        addProblem(ctx, ["events", i], `duplicate event ${JSON.stringify(event)}`);
      }
      seen.add(event);
    });
  }

  const budget = tryDuration(data.budget ?? DEFAULT_BUDGET);
  const checkAgainstBudget = (path: ConfigPath, value: unknown) => {
    const ms = value === undefined ? undefined : tryDuration(value);
    if (budget !== undefined && budget > 0 && ms !== undefined && ms > budget) {
      addProblem(
        ctx,
        path,
        `${formatDuration(ms)} is longer than the budget (${formatDuration(budget)})`,
      );
    }
  };

  if (isPlainObject(data.main)) {
    if (data.main.grace !== undefined) {
      checkAgainstBudget(["main", "grace"], data.main.grace);
    } else if (budget !== undefined && budget > 0 && budget < DEFAULT_GRACE_MS) {
      addProblem(
        ctx,
        ["main"],
        `the default grace (${formatDuration(DEFAULT_GRACE_MS)}) is longer than the budget ` +
          `(${formatDuration(budget)}); set a shorter main.grace`,
      );
    }
  }

  if (!Array.isArray(data.steps)) return;
  const names = new Map<string, string>();
  const checkStep = (step: Record<string, unknown>, path: ConfigPath) => {
    if (typeof step.name === "string" && step.name !== "") {
      const first = names.get(step.name);
      if (first !== undefined) {
        addProblem(
          ctx,
          [...path, "name"],
          `duplicate step name ${JSON.stringify(step.name)} (first used by ${first})`,
        );
      } else {
        names.set(step.name, formatPath(path));
      }
    }
    checkAgainstBudget([...path, "timeout"], step.timeout);
  };
  data.steps.forEach((entry, i) => {
    if (!isPlainObject(entry)) return;
    if (!("parallel" in entry)) {
      checkStep(entry, ["steps", i]);
      return;
    }
    if (!Array.isArray(entry.parallel)) return;
    const groupWhen = isWhen(entry.when) ? entry.when : "before";
    entry.parallel.forEach((member, j) => {
      if (!isPlainObject(member)) return;
      const path = ["steps", i, "parallel", j];
      checkStep(member, path);
      if (isWhen(member.when) && member.when !== groupWhen) {
        const groupSays = entry.when === undefined
          ? `"${groupWhen}", the default`
          : `"${groupWhen}"`;
        addProblem(
          ctx,
          [...path, "when"],
          `"${member.when}" conflicts with the group's when (${groupSays}); ` +
            "set when on the group instead",
        );
      }
    });
  });
}

function tryDuration(value: unknown): number | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

function isWhen(value: unknown): value is When {
  return value === "before" || value === "after";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  let value = data;
  for (const segment of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) =>
      (a.problem.line ?? 0) - (b.problem.line ?? 0) ||
      (a.problem.col ?? 0) - (b.problem.col ?? 0) ||
      a.index - b.index
    )
    .map(({ problem }) => problem);
}

function toStep(step: ParsedStep, when: When): StepConfig {
  return {
    name: step.name,
    run: step.run,
    ...(step.timeout !== undefined ? { timeoutMs: step.timeout } : {}),
    when,
    continueOnError: step.continue_on_error,
    shell: step.shell,
    env: { ...step.env },
    ...(step.cwd !== undefined ? { cwd: step.cwd } : {}),
  };
}

function toConfig(parsed: ParsedConfig, source: string | undefined): Config {
  const log = parsed.log ?? { format: "text" as const, redact: [] };
  const steps: StepEntry[] = (parsed.steps ?? []).map((entry) => {
    if ("parallel" in entry) {
      const when = entry.when ?? "before";
      return { kind: "parallel", when, steps: entry.parallel.map((step) => toStep(step, when)) };
    }
    return { kind: "step", step: toStep(entry, entry.when ?? "before") };
  });
  return {
    ...(source !== undefined ? { source } : {}),
    budgetMs: parsed.budget,
    events: [...parsed.events],
    log: {
      format: log.format,
      ...(log.file !== undefined ? { file: log.file } : {}),
      redact: [...log.redact],
    },
    ...(parsed.main
      ? {
        main: {
          ...(parsed.main.command !== undefined ? { command: [...parsed.main.command] } : {}),
          ...(parsed.main.stop_event !== undefined ? { stopEvent: parsed.main.stop_event } : {}),
          graceMs: parsed.main.grace,
        },
      }
      : {}),
    steps,
  };
}
