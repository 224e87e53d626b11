/**
 * Reads batches from a `PriorityBatchQueue` and computes them on a pool,
 * several at a time, until the queue is closed and drained. Latency is
 * measured per lane, from a record's `createdAt` to its result.
 *
 * Where a CRITICAL record waits decides its latency, so:
 * - a batch is taken from the queue only when the pool has room for it: a
 *   backlog waits in the queue, where CRITICAL records overtake it, never in
 *   the pool, where they could not;
 * - NORMAL work may occupy one slot per worker; the second slot of each
 *   worker (`maxInFlight` defaults to two per worker) is kept for CRITICAL
 *   batches, so a CRITICAL record waits for at most the batch its worker is
 *   running, not for a queue of NORMAL batches behind it;
 * - such a batch holds CRITICAL records only (by default; `criticalBatchFill`
 *   lets NORMAL ones fill it up), so it is quick, and is sent as urgent,
 *   ahead of any task waiting in the pool.
 * A CRITICAL record then waits for at most one running batch and its own.
 */
import {
  type Clock,
  type Distribution,
  InFlightWindow,
  InvalidArgumentError,
  SampleRecorder,
  systemClock,
  toError,
} from "@poolstream/core";
import { runBatch, type TaskExecutor } from "@poolstream/pool";
import { Priority } from "./classify.ts";
import type { PriorityResult } from "./kernels/compute-priority-batch.ts";
import type { PrioritizedRecord, PriorityBatchQueue } from "./priority-batch-queue.ts";
import { type PriorityTransport, priorityColumnarTransport } from "./priority-transport.ts";

export interface PriorityPoolProcessorOptions {
  readonly queue: PriorityBatchQueue;
  readonly pool: TaskExecutor;
  readonly batchSize: number;
  /** Batches on the pool at once. Default: 2 per worker. */
  readonly maxInFlight?: number;
  /** Of those, how many may hold NORMAL records. Default: 1 per worker. */
  readonly maxNormalInFlight?: number;
  /**
   * How much of a batch sent in a CRITICAL slot NORMAL records may fill, in
   * [0, 1]. Default 0: CRITICAL records only, so the batch is small and quick
   * (measured: half the CRITICAL p99 of full batches, with NORMAL throughput
   * unchanged within noise). 1: full batches, fewer round trips.
   */
  readonly criticalBatchFill?: number;
  /** Default: columnar, no simulated work. */
  readonly transport?: PriorityTransport;
  /** Called with each batch's results, in completion order. */
  readonly onResults?: (results: readonly PriorityResult[]) => void;
  readonly clock?: Clock;
}

export interface PriorityProcessorStats {
  readonly criticalProcessed: number;
  readonly normalProcessed: number;
  readonly batches: number;
  readonly failedBatches: number;
  /** Records of failed batches, so that processed + failed = taken from the queue. */
  readonly failedRecords: number;
  readonly criticalLatencyMs: Distribution;
  readonly normalLatencyMs: Distribution;
  readonly elapsedMs: number;
  readonly errors: readonly Error[];
}

export class PriorityPoolProcessor {
  readonly #options: PriorityPoolProcessorOptions;
  readonly #clock: Clock;
  readonly #transport: PriorityTransport;
  readonly #criticalBatchFill: number;
  readonly #criticalLatency = new SampleRecorder();
  readonly #normalLatency = new SampleRecorder();
  readonly #errors: Error[] = [];
  #batches = 0;
  #failedBatches = 0;
  #failedRecords = 0;
  #startMs = 0;
  #endMs: number | undefined;

  constructor(options: PriorityPoolProcessorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#transport = options.transport ?? priorityColumnarTransport();
    const fill = options.criticalBatchFill ?? 0;
    if (!(fill >= 0 && fill <= 1)) throw new InvalidArgumentError(`criticalBatchFill must be in [0, 1], got ${fill}`);
    this.#criticalBatchFill = fill;
  }

  /** Runs until the queue is closed and drained; resolves with the stats. */
  async run(): Promise<PriorityProcessorStats> {
    const { queue, pool, batchSize } = this.#options;
    const workers = Math.max(1, pool.stats().workers);
    const maxInFlight = this.#options.maxInFlight ?? workers * 2;
    const maxNormalInFlight = Math.min(this.#options.maxNormalInFlight ?? workers, maxInFlight);
    const window = new InFlightWindow(maxInFlight);
    let normalInFlight = 0; // batches holding at least one NORMAL record
    // One watch for the next CRITICAL arrival, kept across iterations rather than made anew each time.
    let criticalArrival: Promise<void> | undefined;
    this.#startMs = this.#clock.now();
    this.#endMs = undefined;
    for (;;) {
      await window.waitForRoom();
      let batch: PrioritizedRecord[] | undefined;
      if (normalInFlight < maxNormalInFlight) {
        batch = await queue.getBatch(batchSize);
        if (batch === undefined) break;
      } else {
        // Only a batch led by CRITICAL records may take this slot: wait for one, or for a NORMAL slot.
        const normalRoom = Math.floor(batchSize * this.#criticalBatchFill);
        batch = queue.criticalQueue.size > 0 ? queue.takeBatch(batchSize, normalRoom) : [];
        if (batch.length === 0) {
          if (queue.closed) {
            // No CRITICAL record can arrive any more: just let a slot free up for the NORMAL rest.
            if (queue.size === 0) break;
            await window.settleOne();
          } else {
            criticalArrival ??= queue.waitForCritical().then(() => {
              criticalArrival = undefined;
            });
            await Promise.race([criticalArrival, window.settleOne()]);
          }
          continue;
        }
      }
      const holdsNormal = batch.some((record) => record.priority === Priority.normal);
      if (holdsNormal) normalInFlight++;
      const done = this.#compute(batch).finally(() => {
        if (holdsNormal) normalInFlight--;
      });
      window.track(done);
    }
    await window.drain();
    this.#endMs = this.#clock.now();
    return this.stats();
  }

  stats(): PriorityProcessorStats {
    return Object.freeze({
      criticalProcessed: this.#criticalLatency.count,
      normalProcessed: this.#normalLatency.count,
      batches: this.#batches,
      failedBatches: this.#failedBatches,
      failedRecords: this.#failedRecords,
      criticalLatencyMs: this.#criticalLatency.summary(),
      normalLatencyMs: this.#normalLatency.summary(),
      elapsedMs: (this.#endMs ?? this.#clock.now()) - this.#startMs,
      errors: Object.freeze([...this.#errors]),
    });
  }

  async #compute(batch: PrioritizedRecord[]): Promise<void> {
    const urgent = batch[0]?.priority === Priority.critical; // CRITICAL records come first in a batch
    try {
      const results = await runBatch(this.#options.pool, this.#transport, batch, {
        priority: urgent ? "urgent" : "normal",
      });
      const returnedAt = this.#clock.now();
      for (const result of results) {
        const recorder = result.priority === Priority.critical ? this.#criticalLatency : this.#normalLatency;
        recorder.record(returnedAt - result.createdAt);
      }
      this.#batches++;
      this.#options.onResults?.(results);
    } catch (error) {
      this.#failedBatches++;
      this.#failedRecords += batch.length;
      this.#errors.push(toError(error));
    }
  }
}
