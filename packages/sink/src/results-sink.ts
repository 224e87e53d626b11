/**
 * A sink for the standard kernel's results: counts them, measures end-to-end
 * latency (record creation to arrival here), and prints a running summary
 * every `summaryEvery` records so a person watching sees progress. It keeps
 * every result by default (`results`, for tests and small runs); with
 * `keepResults: false` it keeps only counters and bounded histograms, so its
 * memory stays flat however long a pipeline runs.
 *
 * A running line gives the latency of the records since the previous line,
 * not of the whole run: that is what a person watching wants to know (is it
 * getting slower now?).
 */
import {
  type Clock,
  type Distribution,
  InvalidArgumentError,
  LatencyHistogram,
  type ProcessedRecord,
  type RecordFailure,
  type SensorRecord,
  type Sink,
  type SinkBatch,
  systemClock,
} from "@poolstream/core";

export interface ResultsSinkOptions {
  /** Print a summary each time this many more records have arrived. Default 100; 0 turns it off. */
  readonly summaryEvery?: number;
  /** Keep every result in `results`. Default true; false for long runs. */
  readonly keepResults?: boolean;
  /** Where summaries go. Default `console.log`. */
  readonly log?: (line: string) => void;
  readonly clock?: Clock;
}

export interface SinkSummary {
  readonly received: number;
  readonly batches: number;
  readonly anomalies: number;
  readonly invalid: number;
  /** Error records and poison pills written to this sink. */
  readonly errorRecords: number;
  readonly poisonPills: number;
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

export class ResultsSink<R extends SensorRecord = SensorRecord> implements Sink<R, ProcessedRecord<R>> {
  readonly #results: ProcessedRecord<R>[] = [];
  readonly #keepResults: boolean;
  readonly #summaryEvery: number;
  readonly #log: (line: string) => void;
  readonly #clock: Clock;
  readonly #latency = new LatencyHistogram();
  #recentLatency = new LatencyHistogram();
  #received = 0;
  #batches = 0;
  #anomalies = 0;
  #invalid = 0;
  #errorRecords = 0;
  #poisonPills = 0;
  #normalizedSum = 0;

  constructor(options: ResultsSinkOptions = {}) {
    const summaryEvery = options.summaryEvery ?? 100;
    if (!Number.isInteger(summaryEvery) || summaryEvery < 0 || summaryEvery > 2 ** 31 - 1) {
      throw new InvalidArgumentError(`summaryEvery must be an integer from 0 to 2^31 - 1, got ${summaryEvery}`);
    }
    this.#summaryEvery = summaryEvery;
    this.#keepResults = options.keepResults ?? true;
    this.#log = options.log ?? console.log;
    this.#clock = options.clock ?? systemClock;
  }

  /** Every result received so far, in arrival order (empty with `keepResults: false`). */
  get results(): readonly ProcessedRecord<R>[] {
    return this.#results;
  }

  /** The pipeline's entry point: the results, and the error records and poison pills, of one lane's part of a batch. */
  write(batch: SinkBatch<R, ProcessedRecord<R>>): void {
    this.receiveBatch(batch.results, batch.failures);
  }

  /** Idempotent; the sink holds nothing that needs releasing. */
  close(): void {}

  receiveBatch(results: ArrayLike<ProcessedRecord<R>>, failures: readonly RecordFailure[] = []): void {
    const arrivedAt = this.#clock.now();
    const before = this.#received;
    this.#batches++;
    for (let i = 0; i < results.length; i++) {
      const result = results[i] as ProcessedRecord<R>;
      if (this.#keepResults) this.#results.push(result);
      const latencyMs = arrivedAt - result.createdAt;
      this.#latency.record(latencyMs);
      this.#recentLatency.record(latencyMs);
      if (!result.valid) {
        this.#invalid++;
        continue;
      }
      this.#normalizedSum += result.normalized;
      if (result.anomaly) this.#anomalies++;
    }
    this.#received += results.length;
    for (const failure of failures) {
      if (failure.status === "POISON_PILL") this.#poisonPills++;
      else this.#errorRecords++;
    }
    const every = this.#summaryEvery;
    if (every > 0 && Math.floor(this.#received / every) > Math.floor(before / every)) {
      this.#log(formatProgress(this.#progress()));
    }
  }

  #progress(): SinkProgress {
    const recentLatencyMs = this.#recentLatency.summary();
    this.#recentLatency = new LatencyHistogram();
    return {
      received: this.#received,
      anomalies: this.#anomalies,
      meanNormalized: this.#meanNormalized(),
      recentLatencyMs,
    };
  }

  #meanNormalized(): number {
    const valid = this.#received - this.#invalid;
    return valid === 0 ? 0 : this.#normalizedSum / valid;
  }

  summary(): SinkSummary {
    return Object.freeze({
      received: this.#received,
      batches: this.#batches,
      anomalies: this.#anomalies,
      invalid: this.#invalid,
      errorRecords: this.#errorRecords,
      poisonPills: this.#poisonPills,
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
