/**
 * A series of samples of one measurement for one subject, and the row of the
 * results table it becomes.
 *
 * @module
 */

/** How a series' values are shown. */
export type Unit = "ms" | "cpu-ms" | "MiB";

/** Options of {@link Series}. */
export interface SeriesOptions {
  /** Subjects of the same measurement this one is compared with (ratio of medians). */
  compareWith?: string[];
  /** A remark for the table's last column. */
  note?: string;
  /** Whether this series measures the agent (the bench fails if none of these has samples). */
  agent?: boolean;
}

/** Samples of one measurement (`item`) for one subject, and the errors of failed runs. */
export class Series {
  /** The measurement, e.g. "3. Ready time". */
  readonly item: string;
  /** What was measured, e.g. "agent" or "tini". */
  readonly subject: string;
  /** How values are shown. */
  readonly unit: Unit;
  /** Comparison, note, agent flag. */
  readonly options: SeriesOptions;
  /** One value per successful run. */
  readonly samples: number[] = [];
  /** One message per failed run. */
  readonly errors: string[] = [];
  /** Set when the subject could not be measured at all (a missing tool, for example). */
  unavailable: string | undefined;

  /** Creates an empty series. */
  constructor(item: string, subject: string, unit: Unit, options: SeriesOptions = {}) {
    this.item = item;
    this.subject = subject;
    this.unit = unit;
    this.options = options;
  }

  /** Runs one measurement; its value is kept, or its error when it throws. */
  async measure(run: () => Promise<number>): Promise<void> {
    if (this.unavailable !== undefined) return;
    try {
      this.samples.push(await run());
    } catch (error) {
      this.errors.push(error instanceof Error ? error.message : String(error));
    }
  }

  /** Marks the subject as impossible to measure when `reason` is given. */
  markUnavailableIf(reason: string | undefined): this {
    if (reason !== undefined) this.unavailable = reason;
    return this;
  }

  /** Marks the subject as impossible to measure, with the reason. */
  markUnavailable(reason: string): this {
    this.unavailable = reason;
    return this;
  }
}
