/**
 * `agent doctor [-c FILE]`: checks that the shutdown can actually run where the
 * agent is: the config's budget against the container's shutdown settings
 * (Windows registry), whether user32.dll is loaded (then the hidden window is
 * what receives CTRL_SHUTDOWN), whether stdin is a terminal, and prints what
 * Kubernetes and Docker need.
 *
 * Every line starts with OK, WARN or FAIL. Exit codes: 0 no FAIL, 1 at least
 * one FAIL, 2 invalid configuration.
 *
 * @module
 */

import type { Command } from "commander";
import { EXIT_MARGIN_MS } from "../agent.ts";
import { type Config, formatDuration } from "../config/mod.ts";
import { EXIT_FAILED, EXIT_OK } from "../exit_codes.ts";
import { errorText } from "../log/mod.ts";
import {
  budgetFits,
  type ContainerSettings,
  describeLimit,
  fitBudget,
  processShutdownSeconds,
  readSettings,
  RECOMMENDED_HEADROOM_S,
  recommendedSeconds,
  settingPath,
  SETTINGS,
  showValue,
  waitToKillMs,
} from "../platform/shutdown_limits.ts";
import { loadCliConfig } from "./common.ts";

/** The severity of one finding. */
export type FindingLevel = "OK" | "WARN" | "FAIL";

/** One line of the diagnosis. */
export interface Finding {
  /** OK, WARN or FAIL. */
  level: FindingLevel;
  /** What was found, and the fix when it is not OK. */
  text: string;
}

/** What the diagnosis is made from; gathered by the command, given here so it can be tested. */
export interface DoctorFacts {
  /** The OS family. */
  os: "windows" | "posix";
  /** The loaded configuration. */
  config: Config;
  /** Windows: the registry values, or why they could not be read. */
  registry?: { settings: ContainerSettings } | { error: string };
  /** Windows: whether user32.dll is loaded in the agent process. */
  user32Loaded?: boolean;
  /** Whether stdin is a terminal. */
  stdinTty: boolean;
  /** How the agent is started, for the advice (`C:\agent\agent.exe`, `agent`). */
  agentPath: string;
}

/** The findings and the advice for `facts`. */
export function diagnose(facts: DoctorFacts): { findings: Finding[]; advice: string[] } {
  const { config, os } = facts;
  const budget = formatDuration(config.budgetMs);
  const margin = formatDuration(EXIT_MARGIN_MS);
  const needed = recommendedSeconds(config.budgetMs, EXIT_MARGIN_MS);
  const setupCommand = `${facts.agentPath} setup --timeout ${needed}`;
  const findings: Finding[] = [];
  const add = (level: FindingLevel, text: string) => findings.push({ level, text });

  add(
    "OK",
    `config: ${config.source ?? "none found, defaults"} is valid; budget ${budget}, ` +
      `events ${config.events.join(", ")}`,
  );
  if (!config.events.includes("shutdown")) {
    add(
      "FAIL",
      `events: "shutdown" is not listed: docker stop and Kubernetes send ` +
        `${os === "windows" ? "CTRL_SHUTDOWN_EVENT" : "SIGTERM"}, which would then end the ` +
        `agent at once. Fix: add shutdown to events`,
    );
  }

  if (os === "posix") {
    add("OK", "registry (ProcessShutdownTimeoutSeconds, WaitToKillServiceTimeout): not applicable");
    add("OK", "user32.dll: not applicable");
    add(
      "OK",
      `stdin ${facts.stdinTty ? "is" : "is not"} a terminal (no matter on POSIX: ` +
        `docker stop delivers SIGTERM either way)`,
    );
  } else {
    windowsFindings(facts, add, { budget, margin, setupCommand });
  }

  const exec = JSON.stringify(facts.agentPath);
  const enough = (seconds: number) => needed <= seconds ? "is enough" : "is too short";
  const signal = os === "windows" ? "CTRL_SHUTDOWN_EVENT" : "SIGTERM";
  const advice = [
    "Kubernetes:",
    `  terminationGracePeriodSeconds: ${needed} or more (budget ${budget} + margin ${margin} ` +
    `+ ${RECOMMENDED_HEADROOM_S} s; the default, 30, ${enough(30)})`,
    `  lifecycle.preStop.exec.command: [${exec}, "stop", "--wait"] (starts the shutdown ` +
    `first; it runs inside the same grace period, then the kubelet sends ${signal})`,
    "Docker:",
    os === "windows"
      ? `  docker stop gives the processes ProcessShutdownTimeoutSeconds, whatever -t says: ` +
        `RUN ${setupCommand} in the image; start the container without -t`
      : `  docker stop -t ${needed} (or docker run --stop-timeout ${needed}; the default, ` +
        `10, ${enough(10)}); the agent as ENTRYPOINT (exec form) receives the STOPSIGNAL, ` +
        `SIGTERM`,
  ];
  return { findings, advice };
}

function windowsFindings(
  facts: DoctorFacts,
  add: (level: FindingLevel, text: string) => void,
  words: { budget: string; margin: string; setupCommand: string },
): void {
  const { config } = facts;
  const { budget, margin, setupCommand } = words;
  const pstPath = settingPath(SETTINGS.processShutdownTimeout);
  const wtkPath = settingPath(SETTINGS.waitToKillServiceTimeout);
  if (!facts.registry || "error" in facts.registry) {
    add("WARN", `registry: cannot read the shutdown settings: ${facts.registry?.error}`);
  } else {
    const settings = facts.registry.settings;
    const limit = describeLimit(settings);
    if (!limit) {
      add(
        "WARN",
        `${pstPath}: ${showValue(settings.processShutdownTimeout)}, and there is no cexecsvc ` +
          `service: this is not a Windows container. Inside one, docker stop gives the ` +
          `processes 5 s unless the image runs ${setupCommand}`,
      );
    } else if (budgetFits(config.budgetMs, limit.ms, EXIT_MARGIN_MS)) {
      add(
        "OK",
        `${pstPath} = ${processShutdownSeconds(settings.processShutdownTimeout)}: the budget ` +
          `${budget} + margin ${margin} ends before docker stop kills the processes`,
      );
    } else {
      const cut = fitBudget(config.budgetMs, limit.ms, EXIT_MARGIN_MS).budgetMs;
      add(
        "FAIL",
        `${limit.source}: docker stop kills the processes after ${formatDuration(limit.ms)}, ` +
          `before the budget ${budget} + margin ${margin} ends (agent run would cut its ` +
          `shutdown to ${formatDuration(cut)}). Fix: ${setupCommand}`,
      );
    }
    const wtk = waitToKillMs(settings.waitToKillServiceTimeout);
    if (wtk !== undefined && wtk >= config.budgetMs + EXIT_MARGIN_MS) {
      add("OK", `${wtkPath} = "${wtk}": services get ${formatDuration(wtk)} at shutdown`);
    } else {
      add(
        "WARN",
        `${wtkPath} is ${showValue(settings.waitToKillServiceTimeout)}` +
          `${
            wtk === undefined ? " (Windows' default applies)" : ""
          }: services in the container (one a step talks to) may be stopped before the ` +
          `budget ends. Fix: ${setupCommand}`,
      );
    }
  }
  if (facts.user32Loaded === undefined) {
    add("WARN", "user32.dll: cannot tell whether it is loaded (GetModuleHandleW failed)");
  } else if (facts.user32Loaded) {
    add(
      "OK",
      "user32.dll is loaded in the agent process (Deno's runtime imports it): Windows then " +
        "treats the agent as a GUI process and sends CTRL_SHUTDOWN and CTRL_LOGOFF as " +
        "WM_QUERYENDSESSION/WM_ENDSESSION to a window, which is why the agent runs a hidden one",
    );
  } else {
    add(
      "OK",
      "user32.dll is not loaded in the agent process: the console handler gets every event",
    );
  }
  if (facts.stdinTty) {
    add(
      "WARN",
      "stdin is a terminal: Docker sends no CTRL_SHUTDOWN to a Windows container started with " +
        "-t (docker run -t, tty: true); start it without -t",
    );
  } else {
    add("OK", "stdin is not a terminal (a container started without -t)");
  }
}

/** The text of a diagnosis: one line per finding, the advice, and a summary. */
export function formatDiagnosis(result: { findings: Finding[]; advice: string[] }): string[] {
  const fails = result.findings.filter((f) => f.level === "FAIL").length;
  const warns = result.findings.filter((f) => f.level === "WARN").length;
  return [
    ...result.findings.map((f) => `${f.level.padEnd(4)} ${f.text}`),
    "",
    ...result.advice,
    "",
    fails > 0
      ? `${fails} problem${fails === 1 ? "" : "s"} found (FAIL), ${warns} warning${
        warns === 1 ? "" : "s"
      }`
      : `No problem found${warns > 0 ? ` (${warns} warning${warns === 1 ? "" : "s"})` : ""}`,
  ];
}

/** Adds the `doctor` subcommand; `done` receives the exit code. */
export function registerDoctor(program: Command, done: (code: number) => void): void {
  program
    .command("doctor")
    .description(
      "Check that the shutdown can finish here: the budget against the container's " +
        "shutdown settings, user32.dll, stdin; print Kubernetes and Docker advice " +
        "(exit 0 fine, 1 a problem found, 2 invalid config)",
    )
    .option("-c, --config <file>", "configuration file")
    .action(async (opts: { config?: string }) => {
      const config = await loadCliConfig(opts.config);
      const facts: DoctorFacts = {
        os: Deno.build.os === "windows" ? "windows" : "posix",
        config,
        stdinTty: Deno.stdin.isTerminal(),
        agentPath: agentPath(),
      };
      if (facts.os === "windows") {
        const { user32Loaded, windowsRegistry } = await import(
          "../platform/windows/registry.ts"
        );
        try {
          facts.registry = { settings: readSettings(windowsRegistry) };
        } catch (error) {
          facts.registry = { error: errorText(error) };
        }
        try {
          facts.user32Loaded = user32Loaded();
        } catch {
          facts.user32Loaded = undefined;
        }
      }
      const result = diagnose(facts);
      console.log(formatDiagnosis(result).join("\n"));
      done(result.findings.some((f) => f.level === "FAIL") ? EXIT_FAILED : EXIT_OK);
    });
}

/** How the agent is started, for the advice: the compiled binary's path, else a placeholder. */
function agentPath(): string {
  if (Deno.build.standalone) return Deno.execPath();
  return Deno.build.os === "windows" ? "C:\\agent\\agent.exe" : "agent";
}
