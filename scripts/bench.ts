/**
 * The benchmark: measures the agent on this machine, side by side with `tini`,
 * `dumb-init`, a busy-waiting baseline (the seed's way of waiting) and a bare
 * Deno program, and prints a markdown table of medians and spreads.
 *
 *   deno task bench                         default: 7 runs, 3 idle windows of 10 s
 *   deno task bench --quick                 3 runs, 1 idle window of 3 s
 *   deno task bench --write docs/benchmarks.md
 *   deno task bench --agent-bin dist/agent  also a compiled agent (or env AGENT_BIN)
 *
 * Other flags: `--runs N`, `--idle-seconds S`, `--idle-runs N`, `--only 1,3,5`
 * (measurements by number), `--no-install` (do not apt-get tini/dumb-init),
 * `--no-wine` (skip the Wine lane).
 *
 * Measurements: 1 idle CPU, 2 idle memory, 3 ready time, 4 event to first
 * step, 5 stop forwarding in supervisor mode, 6 parallel steps, 7 deadline
 * overshoot, 8 CTRL_SHUTDOWN to first step under Wine. Only local processes are
 * started (apt-get aside, when tini or dumb-init is missing). Exits 1 only when
 * the agent could not be measured at all, 2 on a bad command line.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { commandOutput, describeMachine, ensurePackages, loadAverage } from "./bench/machine.ts";
import { killAll } from "./bench/proc.ts";
import { reportSection, resultsTable, writeDocs } from "./bench/report.ts";
import {
  type AgentFlavour,
  type BenchContext,
  measureDeadline,
  measureFirstStep,
  measureIdle,
  measureParallel,
  measureReady,
  measureStopForwarding,
  measureWine,
} from "./bench/scenarios.ts";
import type { Series } from "./bench/series.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The parsed command line. */
interface Options {
  runs: number;
  idleSeconds: number;
  idleRuns: number;
  agentBin?: string;
  write?: string;
  only?: Set<number>;
  install: boolean;
  wine: boolean;
  quick: boolean;
}

/** Writes a progress line to stderr (stdout is the table). */
function log(line: string): void {
  console.error(line);
}

/** Parses the command line; throws a message on a bad one. */
function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      "idle-seconds": { type: "string" },
      "idle-runs": { type: "string" },
      "agent-bin": { type: "string" },
      write: { type: "string" },
      only: { type: "string" },
      "no-install": { type: "boolean", default: false },
      "no-wine": { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const positive = (text: string | undefined, fallback: number, name: string) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`--${name} must be a positive number`);
    }
    return value;
  };
  const quick = values.quick;
  const only = values.only === undefined
    ? undefined
    : new Set(values.only.split(",").map((n) => positive(n, 0, "only")));
  return {
    quick,
    runs: Math.round(positive(values.runs, quick ? 3 : 7, "runs")),
    idleSeconds: positive(values["idle-seconds"], quick ? 3 : 10, "idle-seconds"),
    idleRuns: Math.round(positive(values["idle-runs"], quick ? 1 : 3, "idle-runs")),
    agentBin: values["agent-bin"] ?? Deno.env.get("AGENT_BIN") ?? undefined,
    write: values.write,
    only,
    install: !values["no-install"],
    wine: !values["no-wine"],
  };
}

/** The reference tools' version lines, or why they are missing. */
async function toolVersions(
  missing: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const [name, flag] of [["tini", "--version"], ["dumb-init", "--version"]]) {
    versions[name] = missing[name] ?? (await commandOutput([name, flag]))?.split("\n")[0] ?? "?";
  }
  versions["sh"] = Deno.realPathSync("/bin/sh");
  return versions;
}

/** Runs every selected measurement in order; resolves to all series. */
async function measureAll(ctx: BenchContext, options: Options): Promise<Series[]> {
  const selected = (n: number) => options.only === undefined || options.only.has(n);
  const all: Series[] = [];
  const steps: [number[], string, () => Promise<Series[]>][] = [
    [[1, 2], "idle CPU and memory", () => measureIdle(ctx)],
    [[3], "ready time", () => measureReady(ctx)],
    [[4], "event to first step", () => measureFirstStep(ctx)],
    [[5], "stop forwarding", () => measureStopForwarding(ctx)],
    [[6], "parallel steps", () => measureParallel(ctx)],
    [[7], "deadline overshoot", () => measureDeadline(ctx)],
    [[8], "Wine lane", () => measureWine(ctx, Math.min(ctx.runs, 3))],
  ];
  for (const [numbers, name, run] of steps) {
    if (!numbers.some(selected)) continue;
    if (numbers.includes(8) && !options.wine) continue;
    const started = performance.now();
    log(`[${numbers.join(", ")}] ${name}...`);
    const series = await run();
    all.push(
      ...series.filter((s) => numbers.some((n) => s.item.startsWith(`${n}.`) && selected(n))),
    );
    log(`    ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return all;
}

/** Entry point: resolves to the exit code. */
async function main(args: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(args);
  } catch (error) {
    log(`bench: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  if (Deno.build.os !== "linux") {
    log("bench: needs Linux (/proc)");
    return 1;
  }
  const started = performance.now();
  const loadAtStart = loadAverage();
  const missing = await ensurePackages(["tini", "dumb-init"], { install: options.install, log });
  for (const [name, reason] of Object.entries(missing)) log(`${name} unavailable: ${reason}`);
  const agents: AgentFlavour[] = [{
    label: "agent",
    argv: [Deno.execPath(), "run", "-A", "main.ts"],
  }];
  if (options.agentBin) agents.push({ label: "agent-bin", argv: [options.agentBin] });

  const tmp = await Deno.makeTempDir({ prefix: "agent-bench-" });
  const ctx: BenchContext = {
    root: ROOT,
    tmp,
    runs: options.runs,
    idleSeconds: options.idleSeconds,
    idleRuns: options.idleRuns,
    agents,
    missing,
    log,
  };
  let all: Series[];
  try {
    all = await measureAll(ctx, options);
  } finally {
    killAll();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }

  const machine = await describeMachine(await toolVersions(missing), loadAtStart);
  const settings =
    `${options.runs} runs, ${options.idleRuns} idle window(s) of ${options.idleSeconds} s; ` +
    `total ${((performance.now() - started) / 1000).toFixed(0)} s`;
  const command = ["deno task bench", ...args].join(" ");
  const section = reportSection(
    {
      date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
      command,
      settings,
      machine,
    },
    all,
  );
  console.log(section);
  if (options.write) {
    writeDocs(options.write, section);
    await commandOutput([Deno.execPath(), "fmt", "--quiet", options.write]);
    log(`wrote ${options.write}`);
  }

  const agentMeasured = all.some((s) => s.options.agent && s.samples.length > 0);
  if (!agentMeasured) {
    log("bench: the agent could not be measured");
    log(resultsTable(all.filter((s) => s.options.agent)));
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  Deno.addSignalListener("SIGINT", () => {
    killAll();
    Deno.exit(130);
  });
  Deno.exit(await main(Deno.args));
}
