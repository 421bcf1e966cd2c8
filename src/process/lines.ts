/**
 * Splitting a child's output into lines, without trusting the child: a line
 * longer than `maxLine` is cut into pieces, and invalid UTF-8 is replaced.
 *
 * @module
 */

/** Longest line passed on whole; longer output is cut into pieces of this size. */
export const MAX_LINE = 16 * 1024;

/**
 * Reads `stream` to its end, calling `onLine` for each line (without its
 * `\n` or `\r\n`). Resolves when the stream ends or fails, or when `signal`
 * aborts (the stream is then cancelled).
 */
export async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  options: { maxLine?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const maxLine = options.maxLine ?? MAX_LINE;
  const decoder = new TextDecoder();
  let pending = "";
  const flush = (final: boolean) => {
    let start = 0;
    for (;;) {
      const nl = pending.indexOf("\n", start);
      if (nl === -1) break;
      const end = nl > start && pending[nl - 1] === "\r" ? nl - 1 : nl;
      emitChunks(pending.slice(start, end));
      start = nl + 1;
    }
    pending = pending.slice(start);
    while (pending.length > maxLine) {
      onLine(pending.slice(0, maxLine));
      pending = pending.slice(maxLine);
    }
    if (final && pending.length > 0) {
      onLine(pending);
      pending = "";
    }
  };
  const emitChunks = (line: string) => {
    for (let i = 0; i < line.length || i === 0; i += maxLine) {
      onLine(line.slice(i, i + maxLine));
      if (line.length === 0) break;
    }
  };
  const reader = stream.getReader();
  const abort = () => reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      flush(false);
    }
  } catch {
    // The stream was cancelled or broke: keep what was read.
  } finally {
    options.signal?.removeEventListener("abort", abort);
  }
  pending += decoder.decode();
  flush(true);
}
