/**
 * The end of the standard pipeline: keeps every result, measures end-to-end
 * latency (record creation to arrival here), and prints a running summary
 * every `summaryEvery` records so a person watching sees progress.
 *
 * A running line gives the latency of the records since the previous line,
 * not of the whole run: that is what a person watching wants to know (is it
 * getting slower now?), and it keeps each line's cost to its own records, where
 * re-sorting every latency so far made a long run quadratic.
 */
import {
  type Clock,
  type Distribution,
  InvalidArgumentError,
  type ProcessedRecord,
  SampleRecorder,
  systemClock,
} from "@poolstream/core";

export interface ResultsSinkOptions {
  /** Print a summary each time this many more records have arrived. Default 100; 0 turns it off. */
  readonly summaryEvery?: number;
  /** Where summaries go. Default `console.log`. */
  readonly log?: (line: string) => void;
  readonly clock?: Clock;
}

export interface SinkSummary {
  readonly received: number;
  readonly batches: number;
  readonly anomalies: number;
  readonly invalid: number;
  /** Mean `normalized` over valid records; 0 when there are none. */
  readonly meanNormalized: number;
  /** `createdAt` → arrival at the sink, in ms. */
  readonly latencyMs: Distribution;
}

/** A running summary line's figures: the totals so far, and the latency since the previous line. */
export interface SinkProgress extends Pick<SinkSummary, "received" | "anomalies" | "meanNormalized"> {
  /** Latency of the records that arrived since the previous line. */
  readonly recentLatencyMs: Distribution;
}

export class ResultsSink {
  readonly #results: ProcessedRecord[] = [];
  readonly #summaryEvery: number;
  readonly #log: (line: string) => void;
  readonly #clock: Clock;
  readonly #latency = new SampleRecorder();
  #batches = 0;
  #anomalies = 0;
  #invalid = 0;
  #normalizedSum = 0;
  /** Latency samples already covered by a printed line. */
  #reportedSamples = 0;

  constructor(options: ResultsSinkOptions = {}) {
    const summaryEvery = options.summaryEvery ?? 100;
    if (!Number.isInteger(summaryEvery) || summaryEvery < 0) {
      throw new InvalidArgumentError(`summaryEvery must be an integer >= 0, got ${summaryEvery}`);
    }
    this.#summaryEvery = summaryEvery;
    this.#log = options.log ?? console.log;
    this.#clock = options.clock ?? systemClock;
  }

  /** Every result received so far, in arrival order. */
  get results(): readonly ProcessedRecord[] {
    return this.#results;
  }

  receiveBatch(results: readonly ProcessedRecord[]): void {
    const arrivedAt = this.#clock.now();
    const before = this.#results.length;
    this.#batches++;
    for (const result of results) {
      this.#results.push(result);
      this.#latency.record(arrivedAt - result.createdAt);
      if (!result.valid) {
        this.#invalid++;
        continue;
      }
      this.#normalizedSum += result.normalized;
      if (result.anomaly) this.#anomalies++;
    }
    const every = this.#summaryEvery;
    if (every > 0 && Math.floor(this.#results.length / every) > Math.floor(before / every)) {
      this.#log(formatProgress(this.#progress()));
    }
  }

  #progress(): SinkProgress {
    const recentLatencyMs = this.#latency.summary(this.#reportedSamples);
    this.#reportedSamples = this.#latency.count;
    return {
      received: this.#results.length,
      anomalies: this.#anomalies,
      meanNormalized: this.#meanNormalized(),
      recentLatencyMs,
    };
  }

  #meanNormalized(): number {
    const valid = this.#results.length - this.#invalid;
    return valid === 0 ? 0 : this.#normalizedSum / valid;
  }

  summary(): SinkSummary {
    return Object.freeze({
      received: this.#results.length,
      batches: this.#batches,
      anomalies: this.#anomalies,
      invalid: this.#invalid,
      meanNormalized: this.#meanNormalized(),
      latencyMs: this.#latency.summary(),
    });
  }
}

/** One line a person can read at a glance. */
export function formatProgress(progress: SinkProgress): string {
  return (
    `[sink] received ${progress.received} records · anomalies ${progress.anomalies} · ` +
    `mean normalized ${progress.meanNormalized.toFixed(3)} · ` +
    `latency p50 ${progress.recentLatencyMs.p50.toFixed(1)} ms (last ${progress.recentLatencyMs.count})`
  );
}
