/**
 * The zod schema of `agent.yaml`: the single source for both validation and the
 * JSON Schema editors use.
 *
 * @module
 */

import { z } from "zod";
import { DURATION_FORMS, parseDuration } from "./duration.ts";
import { type Env, interpolate } from "./interpolate.ts";
import { EVENT_NAMES, SHELLS } from "./types.ts";

/** Characters a step name may use. */
export const STEP_NAME_PATTERN = /^[A-Za-z0-9_.-]*$/;

/** The budget when the config gives none. */
export const DEFAULT_BUDGET = "30s";

/** The main app's grace when the config gives none. */
export const DEFAULT_GRACE = "10s";

/** Options of {@linkcode configSchema}. */
export interface SchemaOptions {
  /** Variables for `${VAR}` expansion; without it, strings are kept as written. */
  env?: Env;
}

function duration(options: { allowZero: boolean; description: string }) {
  return z
    .union([z.string(), z.number()], { error: `expected a duration: ${DURATION_FORMS}` })
    .transform((value, ctx) => {
      let ms: number;
      try {
        ms = parseDuration(value);
      } catch (error) {
        ctx.issues.push({ code: "custom", message: (error as Error).message, input: value });
        return z.NEVER;
      }
      if (ms === 0 && !options.allowZero) {
        ctx.issues.push({ code: "custom", message: "must be longer than 0", input: value });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ description: `${options.description} Duration: ${DURATION_FORMS}.` });
}

function expanded(env: Env | undefined, schema: z.ZodString) {
  return schema.transform((value, ctx) => {
    if (env === undefined) return value;
    try {
      return interpolate(value, env);
    } catch (error) {
      ctx.issues.push({ code: "custom", message: (error as Error).message, input: value });
      return z.NEVER;
    }
  });
}

function envValue(env: Env | undefined) {
  return z
    .union([z.string(), z.number(), z.boolean()], {
      error: "expected a string, number or boolean",
    })
    .transform((value, ctx) => {
      if (typeof value !== "string") return String(value);
      if (env === undefined) return value;
      try {
        return interpolate(value, env);
      } catch (error) {
        ctx.issues.push({ code: "custom", message: (error as Error).message, input: value });
        return z.NEVER;
      }
    });
}

const whenSchema = z.enum(["before", "after"]).meta({
  description: "Run before (default) or after the main app is stopped.",
});

function stepSchema(env: Env | undefined) {
  return z
    .strictObject({
      name: z
        .string()
        .min(1, { error: "must not be empty" })
        .max(100, { error: "must be at most 100 characters" })
        .regex(STEP_NAME_PATTERN, {
          error: 'must contain only letters, digits, "-", "_" and "."',
        })
        .meta({
          description: "Unique name; prefixes the step's output lines and names it in records.",
        }),
      run: expanded(env, z.string().min(1, { error: "must not be empty" })).meta({
        description: "The command line, run by `shell`. `${VAR}` and `${VAR:-default}` are " +
          "expanded; `$$` is a literal `$`.",
      }),
      timeout: duration({
        allowZero: false,
        description: "Limit for this step; defaults to what is left of the budget.",
      }).optional(),
      when: whenSchema.optional(),
      continue_on_error: z.boolean().default(true).meta({
        description: "When false, a failure of this step skips every later step.",
      }),
      shell: z.enum(SHELLS).default("dax").meta({
        description: "The shell that runs `run`; `dax` is built in and cross-platform.",
      }),
      env: z
        .record(z.string(), envValue(env))
        .nullable()
        .optional()
        .meta({ description: "Extra environment variables for this step; values are expanded." }),
      cwd: expanded(env, z.string().min(1, { error: "must not be empty" }))
        .optional()
        .meta({ description: "Working directory; defaults to the agent's own." }),
    })
    .meta({ id: "step", title: "Step", description: "One cleanup command." });
}

function groupSchema(step: ReturnType<typeof stepSchema>) {
  return z
    .strictObject({
      parallel: z
        .array(step)
        .min(1, { error: "a parallel group needs at least one step" })
        .meta({ description: "Steps that run concurrently." }),
      when: whenSchema.optional(),
    })
    .meta({
      id: "parallel_group",
      title: "Parallel group",
      description: "Steps that run concurrently; the group ends when all of them have.",
    });
}

function logSchema(env: Env | undefined) {
  return z.strictObject({
    format: z.enum(["text", "json"]).default("text").meta({
      description: "`text` (default) or `json` (one object per line).",
    }),
    file: expanded(env, z.string().min(1, { error: "must not be empty" }))
      .optional()
      .meta({ description: "A file that receives every record too." }),
    redact: z
      .array(z.string().min(1, { error: "must not be empty" }))
      .default([])
      .meta({ description: "Extra environment variable names whose values are never logged." }),
  });
}

function mainSchema(env: Env | undefined) {
  return z.strictObject({
    command: z
      .array(expanded(env, z.string()))
      .min(1, { error: "must not be empty" })
      .optional()
      .meta({
        description: "argv of the app (items are expanded); `agent run -- CMD` overrides it.",
      }),
    stop_event: z.enum(EVENT_NAMES).optional().meta({
      description: "What the app is sent on shutdown; defaults to the event the agent got.",
    }),
    grace: duration({
      allowZero: true,
      description: "Time the app gets after its stop event before its process tree is " +
        "killed; 0 kills at once.",
    }).prefault(DEFAULT_GRACE),
  });
}

/**
 * Build the schema of `agent.yaml`. Its output is still keyed as in YAML but has
 * durations in milliseconds, `${VAR}` references expanded and defaults filled in.
 *
 * @param options `env` for `${VAR}` expansion.
 * @returns The zod schema.
 */
export function configSchema(options: SchemaOptions = {}) {
  const env = options.env;
  const step = stepSchema(env);
  return z
    .strictObject({
      version: z
        .literal(1, { error: "only version 1 is supported" })
        .optional()
        .meta({ description: "Config format version; only 1 exists." }),
      budget: duration({
        allowZero: false,
        description: "The whole cleanup must end within this, counted from the first event.",
      }).prefault(DEFAULT_BUDGET),
      events: z
        .array(z.enum(EVENT_NAMES))
        .min(1, { error: "must list at least one event" })
        .default([...EVENT_NAMES])
        .meta({ description: "Which console events start the shutdown; others are passed on." }),
      log: logSchema(env)
        .nullable()
        .optional()
        .meta({ description: "Where and how records are written." }),
      main: mainSchema(env)
        .nullable()
        .optional()
        .meta({ description: "The app the agent supervises, when it is the ENTRYPOINT." }),
      steps: z
        .array(z.union([step, groupSchema(step)]))
        .nullable()
        .optional()
        .meta({ description: "Cleanup steps, in order." }),
    })
    .meta({
      title: "shutdown agent config",
      description: "agent.yaml: what the graceful-shutdown agent runs when the machine or " +
        "console goes away.",
    });
}

/** The raw output of {@linkcode configSchema}, before it becomes a `Config`. */
export type ParsedConfig = z.output<ReturnType<typeof configSchema>>;

/** The step shape of {@linkcode configSchema}'s output. */
export type ParsedStep = z.output<ReturnType<typeof stepSchema>>;

/** The keys each kind of mapping accepts, for did-you-mean hints. */
export const KNOWN_KEYS: {
  root: string[];
  log: string[];
  main: string[];
  step: string[];
  group: string[];
} = {
  root: Object.keys(configSchema().shape),
  log: Object.keys(logSchema(undefined).shape),
  main: Object.keys(mainSchema(undefined).shape),
  step: Object.keys(stepSchema(undefined).shape),
  group: Object.keys(groupSchema(stepSchema(undefined)).shape),
};

/**
 * JSON Schema of `agent.yaml`, derived from {@linkcode configSchema}.
 *
 * @returns A JSON Schema object (draft 2020-12).
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema(), { io: "input" }) as Record<
    string,
    unknown
  >;
}

/**
 * Describe a value's YAML kind for messages: `a string "x"`, `a number 3`,
 * `a list`, `a mapping`, `null`.
 *
 * @param value A value decoded from YAML.
 * @returns The description.
 */
export function describeInput(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return `a string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
    case "number":
      return `a number ${value}`;
    case "boolean":
      return `a boolean ${value}`;
    case "object":
      return "a mapping";
    default:
      return typeof value;
  }
}
