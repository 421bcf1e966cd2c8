/**
 * The shutdown as a Gantt chart in SVG: one bar per step coloured by outcome,
 * the app's stop and exit, the budget and the platform's kill line, with times
 * on the axis. Self-contained (no scripts, no external fonts or styles).
 *
 * @module
 */

import { formatDuration } from "../config/mod.ts";
import type { Timeline } from "./data.ts";

/** Fill colour of each outcome (colour-blind safe, and labelled in text too). */
export const OUTCOME_COLOURS: Readonly<Record<string, string>> = {
  ok: "#2e7d32",
  failed: "#c62828",
  timeout: "#e67e00",
  skipped: "#9e9e9e",
};

const WIDTH = 960;
const LABEL_W = 190;
const RIGHT_PAD = 40;
const ROW_H = 30;
const BAR_H = 18;
const TOP = 64;
const CHART_W = WIDTH - LABEL_W - RIGHT_PAD;

/** Renders the timeline as an SVG document. */
export function renderTimelineSvg(timeline: Timeline): string {
  const rows = timeline.steps.length + (timeline.main ? 1 : 0);
  const span = niceSpan(
    Math.max(
      timeline.budget_ms,
      timeline.end_ms,
      timeline.platform_kill_ms ?? 0,
      ...timeline.steps.map((s) => s.end_ms ?? 0),
    ) * 1.04,
  );
  const x = (ms: number) => LABEL_W + Math.max(0, Math.min(ms, span)) / span * CHART_W;
  const chartBottom = TOP + rows * ROW_H;
  const height = chartBottom + 120;
  const out: string[] = [];

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
      `viewBox="0 0 ${WIDTH} ${height}" font-family="Segoe UI, DejaVu Sans, Arial, sans-serif" ` +
      `font-size="13">`,
    `<title>Shutdown timeline</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  );
  const source = timeline.source ? ` (${timeline.source})` : "";
  out.push(
    text(16, 26, `Shutdown timeline: ${timeline.trigger}${source}`, {
      size: 17,
      weight: "bold",
    }),
    text(
      16,
      46,
      `${timeline.outcome} in ${formatDuration(timeline.end_ms)} of a ${
        formatDuration(timeline.budget_ms)
      } budget, exit code ${timeline.exit_code} \u00b7 started ${timeline.started_at}`,
      { fill: "#444" },
    ),
  );

  // Axis: grid lines and labels.
  const step = tickStep(span);
  for (let t = 0; t <= span + 1e-6; t += step) {
    const gx = x(t);
    out.push(
      `<line x1="${gx}" y1="${TOP - 6}" x2="${gx}" y2="${chartBottom}" stroke="#e6e6e6"/>`,
      text(gx, chartBottom + 18, formatDuration(t), { anchor: "middle", fill: "#555", size: 12 }),
    );
  }
  out.push(
    `<line x1="${LABEL_W}" y1="${chartBottom}" x2="${LABEL_W + CHART_W}" y2="${chartBottom}" ` +
      `stroke="#888"/>`,
  );

  // One row per step.
  timeline.steps.forEach((s, i) => {
    const y = TOP + i * ROW_H;
    const mid = y + ROW_H / 2;
    out.push(text(LABEL_W - 10, mid + 4, s.name, { anchor: "end" }));
    const colour = OUTCOME_COLOURS[s.outcome] ?? "#607d8b";
    if (s.start_ms === undefined) {
      out.push(
        text(LABEL_W + 6, mid + 4, `skipped${s.reason ? `: ${s.reason}` : ""}`, {
          fill: colour,
          italic: true,
        }),
      );
      return;
    }
    const x0 = x(s.start_ms);
    const x1 = Math.max(x0 + 2, x(s.end_ms ?? s.start_ms));
    const label = `${s.outcome}${s.exit_code === undefined ? "" : ` (${s.exit_code})`} \u00b7 ${
      formatDuration((s.end_ms ?? s.start_ms) - s.start_ms)
    }`;
    out.push(
      `<rect x="${x0}" y="${mid - BAR_H / 2}" width="${x1 - x0}" height="${BAR_H}" rx="3" ` +
        `fill="${colour}"><title>${escapeXml(`${s.name}: ${label}`)}</title></rect>`,
      barLabel(x0, x1, mid, label, "#333"),
    );
  });

  // The app's row: from its stop event to its exit.
  if (timeline.main) {
    const y = TOP + timeline.steps.length * ROW_H;
    const mid = y + ROW_H / 2;
    const m = timeline.main;
    out.push(text(LABEL_W - 10, mid + 4, "main app", { anchor: "end", weight: "bold" }));
    const exitLabel = m.signal ? `killed (${m.signal}, ${m.exit_code})` : `exit ${m.exit_code}`;
    if (m.stop_ms !== undefined) {
      const x0 = x(m.stop_ms);
      const x1 = Math.max(x0 + 2, x(m.exit_ms ?? m.stop_ms));
      out.push(
        `<rect x="${x0}" y="${mid - BAR_H / 2}" width="${x1 - x0}" height="${BAR_H}" rx="3" ` +
          `fill="#1565c0" fill-opacity="0.35" stroke="#1565c0"/>`,
        `<path d="M${x0 - 6},${mid - 9} L${x0 + 6},${mid - 9} L${x0},${
          mid - 1
        } Z" fill="#1565c0">` +
          `<title>stop event sent</title></path>`,
        barLabel(x0 - 4, x1, mid, `stopped \u2192 ${exitLabel}`, "#1565c0"),
      );
    } else {
      const at = Math.max(0, m.exit_ms ?? 0);
      out.push(
        `<circle cx="${x(at)}" cy="${mid}" r="5" fill="#1565c0"/>`,
        text(x(at) + 10, mid + 4, `exited on its own \u2192 ${exitLabel}`, {
          fill: "#1565c0",
          size: 12,
        }),
      );
    }
  }

  // Vertical markers: the budget, the platform's kill, the end.
  out.push(
    marker(x(timeline.budget_ms), chartBottom, `budget ${formatDuration(timeline.budget_ms)}`, {
      colour: "#b71c1c",
      dash: "6 4",
      row: 0,
    }),
  );
  if (timeline.platform_kill_ms !== undefined) {
    out.push(
      marker(
        x(timeline.platform_kill_ms),
        chartBottom,
        `platform kills at ${formatDuration(timeline.platform_kill_ms)}`,
        { colour: "#000", row: 1 },
      ),
    );
  }
  out.push(marker(x(timeline.end_ms), chartBottom, `done ${formatDuration(timeline.end_ms)}`, {
    colour: "#1b5e20",
    dash: "2 3",
    row: 2,
  }));

  // Legend.
  const ly = chartBottom + 104;
  let lx = LABEL_W;
  for (const [name, colour] of Object.entries(OUTCOME_COLOURS)) {
    out.push(
      `<rect x="${lx}" y="${ly - 11}" width="14" height="14" rx="2" fill="${colour}"/>`,
      text(lx + 20, ly, name),
    );
    lx += 100;
  }
  out.push(
    `<rect x="${lx}" y="${ly - 11}" width="14" height="14" rx="2" fill="#1565c0" ` +
      `fill-opacity="0.35" stroke="#1565c0"/>`,
    text(lx + 20, ly, "app: stop \u2192 exit"),
  );
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** A bar's label: right of the bar, or left of it when the bar ends near the right edge. */
function barLabel(x0: number, x1: number, mid: number, label: string, fill: string): string {
  const room = WIDTH - x1 - 8;
  return room >= label.length * 7
    ? text(x1 + 6, mid + 4, label, { fill, size: 12 })
    : text(x0 - 6, mid + 4, label, { fill, size: 12, anchor: "end" });
}

/** A vertical line across the chart, labelled below the axis in its own row. */
function marker(
  mx: number,
  bottom: number,
  label: string,
  options: { colour: string; dash?: string; row: number },
): string {
  const dash = options.dash ? ` stroke-dasharray="${options.dash}"` : "";
  const nearRight = mx > WIDTH - RIGHT_PAD - 170;
  return [
    `<line x1="${round(mx)}" y1="${TOP - 6}" x2="${round(mx)}" y2="${
      bottom + 24 + options.row * 16
    }" ` +
    `stroke="${options.colour}" stroke-width="2"${dash}/>`,
    text(mx + (nearRight ? -4 : 4), bottom + 36 + options.row * 16, label, {
      anchor: nearRight ? "end" : "start",
      fill: options.colour,
      size: 12,
      weight: "bold",
    }),
  ].join("\n");
}

function text(
  tx: number,
  ty: number,
  content: string,
  options: {
    anchor?: "start" | "middle" | "end";
    fill?: string;
    size?: number;
    weight?: string;
    italic?: boolean;
  } = {},
): string {
  const attrs = [
    `x="${round(tx)}"`,
    `y="${round(ty)}"`,
    options.anchor && options.anchor !== "start" ? `text-anchor="${options.anchor}"` : "",
    options.fill ? `fill="${options.fill}"` : "",
    options.size ? `font-size="${options.size}"` : "",
    options.weight ? `font-weight="${options.weight}"` : "",
    options.italic ? `font-style="italic"` : "",
  ].filter(Boolean).join(" ");
  return `<text ${attrs}>${escapeXml(content)}</text>`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Escapes text for XML content and attributes. */
export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round span that holds `ms`. */
function niceSpan(ms: number): number {
  const step = tickStep(ms);
  return Math.max(step, Math.ceil(ms / step) * step);
}

/** A tick step giving 5 to 10 ticks: 1, 2 or 5 times a power of ten, in ms. */
function tickStep(span: number): number {
  const raw = Math.max(span, 1) / 8;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}
