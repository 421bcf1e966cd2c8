/**
 * The agent's main job: listen for the configured events, supervise the app
 * when there is one, and run the shutdown sequence exactly once, whatever
 * starts it first (an event, or the app exiting on its own).
 *
 * @module
 */

import { type Config, type EventName, formatDuration } from "./config/mod.ts";
import { type ControlServer, startControlServer } from "./control/mod.ts";
import { EXIT_FAILED, EXIT_INTERNAL, EXIT_OK } from "./exit_codes.ts";
import { errorText, type Logger } from "./log/mod.ts";
import { buildPlan } from "./plan.ts";
import { type EventGate, HOLD_UNTIL_EXIT, openEventGate } from "./events.ts";
import type { AgentEvent, ExitStatus, Platform, ShutdownLimit } from "./platform/mod.ts";
import { fitBudget, recommendedSeconds } from "./platform/shutdown_limits.ts";
import { type MainApp, MainStartError, startMainApp } from "./process/main_app.ts";
import { runStep } from "./process/step.ts";
import { runSequence, type SequenceResult } from "./sequence.ts";

/**
 * How long past its budget the agent may still run: the kill grace of steps cut
 * off at the deadline, reaping and the final records. A failsafe timer ends the
 * agent at this point whatever is still pending.
 */
export const EXIT_MARGIN_MS = 1_000;

/** How often `waiting` records are written during a shutdown. */
export const PROGRESS_MS = 5_000;

/** Options of {@link runAgent}. */
export interface AgentOptions {
  /** The validated configuration. */
  config: Config;
  /** The OS layer. */
  platform: Platform;
  /** Where records go. */
  logger: Logger;
  /** Supervisor mode: the app to start. */
  mainArgv?: readonly string[];
  /** `simulate`: act as if this event arrived right after start. */
  immediateEvent?: EventName;
  /** Where to write the control file for `agent stop`; no control channel when absent. */
  controlPath?: string;
  /** The event gate, opened as early as possible (main.ts); one is opened here when absent. */
  gate?: EventGate;
  /**
   * How long the platform lets the agent run after the event, when known
   * (`Platform.shutdownLimit`). A budget that does not fit is cut so that the
   * agent ends, logs `done` and exits before the platform kills it.
   */
  platformLimit?: ShutdownLimit;
}

/** What happened, for the exit code and the timeline. */
export interface AgentOutcome {
  /** The code the agent exits with. */
  exitCode: number;
  /** The event that started the shutdown; undefined when the app exiting did. */
  event?: AgentEvent;
  /** The sequence's record; undefined when it never ran (the app could not start). */
  sequence?: SequenceResult;
  /** The app, in supervisor mode. */
  main?: { pid: number; status?: ExitStatus; exitedAt?: number; stopAt?: number };
  /** Epoch milliseconds the agent was ready. */
  readyAt: number;
}

/**
 * Runs the agent until the shutdown sequence has ended; resolves to what
 * happened. The caller exits the process with `exitCode` (on Windows, exiting
 * while the console handler is still held is what ends the process cleanly).
 */
export async function runAgent(options: AgentOptions): Promise<AgentOutcome> {
  const { config, platform, logger, platformLimit } = options;
  const fit = fitBudget(config.budgetMs, platformLimit?.ms, EXIT_MARGIN_MS);
  const plan = {
    ...buildPlan(config, { supervising: options.mainArgv !== undefined }),
    budgetMs: fit.budgetMs,
  };
  let shutdown: Promise<AgentOutcome> | undefined;
  let app: MainApp | undefined;
  let mainInfo: AgentOutcome["main"];
  let readyAt = Date.now();
  const started = Promise.withResolvers<AgentOutcome>();

  let finished = false;

  function begin(event: AgentEvent | undefined): Promise<AgentOutcome> {
    shutdown = execute(event);
    shutdown.then(() => finished = true);
    // After `agent stop` the agent stays until the platform's own event, then exits at once.
    if (event?.source !== "control") started.resolve(shutdown);
    return shutdown;
  }

  // A signal listener alone does not keep Deno alive; one far-off timer does, at no CPU cost.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1);

  function onEvent(event: AgentEvent): Promise<void> {
    if (shutdown) {
      logger.log("info", "event.ignored", {
        event: event.name,
        source: event.source,
        detail: event.detail,
        reason: finished ? "the shutdown already ran" : "a shutdown is already running",
      });
      if (event.source !== "control") started.resolve(shutdown!);
    } else {
      logger.log("info", "event", {
        event: event.name,
        source: event.source,
        detail: event.detail,
      });
      begin(event);
    }
    // Never settles: the agent exits while the platform still holds the event, so its
    // exit code and last records are its own (Windows ends a process whose handler returns).
    return HOLD_UNTIL_EXIT;
  }

  async function execute(event: AgentEvent | undefined): Promise<AgentOutcome> {
    const startedAt = Date.now();
    const deadline = startedAt + plan.budgetMs;
    let failsafe: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<AgentOutcome>((resolve) => {
      failsafe = setTimeout(() => {
        logger.log("error", "error", {
          message: "The shutdown did not end within the budget and its margin; exiting now",
        });
        resolve(finish(EXIT_INTERNAL, "timeout", undefined));
      }, plan.budgetMs + EXIT_MARGIN_MS);
    });

    function finish(
      exitCode: number,
      outcome: string,
      sequence: SequenceResult | undefined,
    ): AgentOutcome {
      logger.log(exitCode === EXIT_OK ? "info" : "warn", "done", {
        outcome,
        exit_code: exitCode,
        duration_ms: Date.now() - startedAt,
      });
      return { exitCode, event, sequence, main: mainInfo, readyAt };
    }

    const work = (async () => {
      try {
        const sequence = await runSequence(plan, {
          event: event?.name ?? "shutdown",
          deadline,
          logger,
          progressMs: PROGRESS_MS,
          runStep: (step, limit) => runStep(step, { platform, logger, ...limit }),
          stopMain: app && (async (stopEvent, graceMs) => {
            if (mainInfo && app!.running()) mainInfo.stopAt = Date.now();
            await app!.stop(stopEvent, graceMs);
          }),
        });
        let exitCode = sequence.outcome === "ok" ? EXIT_OK : EXIT_FAILED;
        if (app) {
          const status = await app.exited;
          exitCode = status.code;
        }
        return finish(exitCode, sequence.outcome, sequence);
      } catch (error) {
        logger.log("error", "error", { message: `Internal error: ${errorText(error)}` });
        return finish(EXIT_INTERNAL, "error", undefined);
      }
    })();
    const outcome = await Promise.race([work, late]);
    clearTimeout(failsafe);
    return outcome;
  }

  // Listening since start-up and never stopped: on Windows the handler must stay valid until
  // exit, and it holds an event at most until the failsafe below has surely ended the agent.
  const gate = options.gate ?? openEventGate(platform);
  await gate.ready;
  let control: ControlServer | undefined;
  try {
    if (options.mainArgv) {
      try {
        app = startMainApp(options.mainArgv, { platform, logger });
      } catch (error) {
        if (!(error instanceof MainStartError)) throw error;
        logger.log("error", "error", { message: error.message });
        logger.log("warn", "done", {
          outcome: "failed",
          exit_code: error.exitCode,
          duration_ms: 0,
        });
        return { exitCode: error.exitCode, readyAt };
      }
      mainInfo = { pid: app.pid };
      app.exited.then((status) => {
        mainInfo!.status = status;
        mainInfo!.exitedAt = Date.now();
        if (!shutdown) begin(undefined); // the app exited on its own: clean up once
      });
    }
    control = options.controlPath === undefined ? undefined : openControl(options.controlPath);
    readyAt = Date.now();
    logger.log("info", "ready", {
      pid: Deno.pid,
      mode: app ? "supervisor" : "sidecar",
      events: config.events,
      native: config.events.map((e) => `${e}=${platform.nativeName(e) ?? "none"}`),
      config: config.source ?? "none",
      budget_ms: config.budgetMs,
      platform_limit_ms: platformLimit?.ms,
      control: control?.path,
    });
    if (fit.capped) {
      const needed = recommendedSeconds(config.budgetMs, EXIT_MARGIN_MS);
      logger.log("warn", "warning", {
        message: `The budget (${formatDuration(config.budgetMs)}) and the exit margin ` +
          `(${formatDuration(EXIT_MARGIN_MS)}) do not fit in the platform's shutdown limit ` +
          `(${formatDuration(platformLimit!.ms)}; ${platformLimit!.source}): the shutdown is ` +
          `cut to ${formatDuration(fit.budgetMs)} so that the ` +
          `agent ends before it is killed. Fix: \`agent setup --timeout ${needed}\` in the ` +
          `image (Kubernetes: terminationGracePeriodSeconds >= ${needed})`,
        budget_ms: config.budgetMs,
        platform_limit_ms: platformLimit!.ms,
        effective_budget_ms: fit.budgetMs,
      });
    }
    for (const event of config.events) {
      if (platform.nativeName(event) === undefined) {
        logger.log("warn", "event.unsupported", {
          event,
          reason: `No ${
            platform.name === "posix" ? "POSIX signal" : "native event"
          } maps to ${event}`,
        });
      }
    }
    // Events that came during start-up are handled now, in order, after `ready`.
    gate.open(config.events, onEvent, {
      holdLimitMs: plan.budgetMs + 2 * EXIT_MARGIN_MS,
      onPassed: (event) =>
        logger.log("info", "event.passed", {
          event: event.name,
          source: event.source,
          detail: event.detail,
          reason: "not in events: left to the OS default",
        }),
    });
    if (options.immediateEvent) onEvent({ name: options.immediateEvent, source: "internal" });
    return await started.promise;
  } finally {
    clearInterval(keepAlive);
    control?.close();
  }

  function openControl(path: string): ControlServer | undefined {
    try {
      return startControlServer({
        path,
        onStop: async () => {
          onEvent({ name: "shutdown", source: "control", detail: "agent stop" });
          const outcome = await shutdown!;
          return { outcome: outcome.sequence?.outcome ?? "error", exit_code: outcome.exitCode };
        },
        onRefused: (reason) => logger.log("warn", "control.refused", { reason }),
      });
    } catch (error) {
      logger.log("warn", "warning", {
        message: `No control channel for agent stop (${path}): ${errorText(error)}`,
      });
      return undefined;
    }
  }
}
