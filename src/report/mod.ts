/**
 * Reports of a finished shutdown: the text timeline `simulate` prints, and
 * `--report FILE.svg|FILE.json`.
 *
 * @module
 */

import type { Timeline } from "./data.ts";
import { renderTimelineSvg } from "./svg.ts";

export { type Timeline, timelineOf, type TimelineStep } from "./data.ts";
export { renderTimelineSvg } from "./svg.ts";
export { formatTimeline } from "./timeline.ts";

/** The report formats, chosen by the file's extension. */
export type ReportFormat = "svg" | "json";

/** The format for a report path, or undefined when its extension is neither. */
export function reportFormatOf(path: string): ReportFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith(".svg")) return "svg";
  if (lower.endsWith(".json")) return "json";
  return undefined;
}

/** Writes the timeline to `path` as SVG or JSON (by extension). Throws on I/O errors. */
export function writeReport(path: string, timeline: Timeline): void {
  const content = reportFormatOf(path) === "json"
    ? JSON.stringify(timeline, null, 2) + "\n"
    : renderTimelineSvg(timeline);
  Deno.writeTextFileSync(path, content);
}
