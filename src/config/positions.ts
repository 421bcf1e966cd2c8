/**
 * Map config paths (as zod reports them) back to YAML nodes, for line:col.
 *
 * @module
 */

import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";

/** A path into the config, as zod reports it: keys and list indexes. */
export type ConfigPath = readonly PropertyKey[];

/** A 1-based position in the source. */
export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
}

/** Options of {@linkcode positionOf}. */
export interface PositionOptions {
  /** Point at the last segment's key instead of its value (for unknown keys). */
  key?: boolean;
}

/**
 * Find where `path` is in the document: the node itself, or the deepest
 * existing node on the way when the path does not exist in the YAML (e.g. a
 * missing key points at its parent mapping).
 *
 * @param doc The parsed document.
 * @param lineCounter The counter the document was parsed with.
 * @param path The path to look up.
 * @param options `key` to point at the key of a mapping entry.
 * @returns The 1-based position, or `undefined` for an empty document.
 */
export function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  path: ConfigPath,
  options: PositionOptions = {},
): Position | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = isNodeWithRange(node) ? node : undefined;
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    let keyNode: Node | undefined;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (pair === undefined) break;
      keyNode = isNodeWithRange(pair.key) ? pair.key : undefined;
      next = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment];
      if (next === undefined) break;
    } else {
      break;
    }
    if (options.key && keyNode !== undefined && index === path.length - 1) {
      best = keyNode;
    } else if (isNodeWithRange(next) && !isEmptyScalar(next)) {
      best = next;
    } else {
      best = keyNode ?? best;
    }
    node = next;
  }
  if (best?.range === undefined || best.range === null) return undefined;
  return lineCounter.linePos(best.range[0]);
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === "string" || typeof key === "number") return String(key);
  return undefined;
}

function isNodeWithRange(value: unknown): value is Node {
  return typeof value === "object" && value !== null && "range" in value &&
    Array.isArray((value as Node).range);
}

function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.range !== undefined &&
    node.range !== null && node.range[0] === node.range[1];
}

/**
 * Format a path for messages: `steps[1].timeout`, `log.file`, `env["A.B"]`.
 *
 * @param path The path.
 * @returns The formatted path; empty for the top level.
 */
export function formatPath(path: ConfigPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") {
      out += `[${segment}]`;
    } else if (typeof segment === "string" && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) {
      out += out === "" ? segment : `.${segment}`;
    } else {
      out += `[${JSON.stringify(String(segment))}]`;
    }
  }
  return out;
}
