/**
 * Cuts a stream of records into batches: full batches as soon as there are
 * enough records, a smaller batch when the stream goes quiet for `maxWaitSec`
 * (so a slow trickle is not held forever), and the remainder at end of stream.
 * Never an empty batch; order is kept.
 */
import { type BoundedQueue, InvalidArgumentError } from "@poolstream/core";

/** What the assembler needs of a queue. */
export type BatchSourceQueue<T> = Pick<BoundedQueue<T>, "poll" | "takeUpTo">;

export interface BatchAssemblerStats {
  readonly fullBatches: number;
  /** Batches flushed smaller than `batchSize`, by the quiet timer or at end of stream. */
  readonly partialBatches: number;
  readonly records: number;
}

export class BatchAssembler {
  #fullBatches = 0;
  #partialBatches = 0;
  #records = 0;

  /**
   * Yields batches of exactly `batchSize` records, or fewer when no record has
   * arrived for `maxWaitSec` or the queue has ended. The wait is measured on
   * the queue's clock, so a `ManualClock` drives it in tests.
   */
  async *assemble<T>(queue: BatchSourceQueue<T>, batchSize: number, maxWaitSec: number): AsyncGenerator<T[]> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    if (!(maxWaitSec > 0)) throw new InvalidArgumentError(`maxWaitSec must be > 0, got ${maxWaitSec}`);
    const quietMs = maxWaitSec * 1000;
    let batch: T[] = [];
    for (;;) {
      // Take what is already there in one step; wait only when the queue is empty.
      for (const record of queue.takeUpTo(batchSize - batch.length)) batch.push(record);
      if (batch.length === batchSize) {
        yield this.#emit(batch, batchSize);
        batch = [];
        continue;
      }
      const read = await queue.poll(batch.length === 0 ? undefined : { timeoutMs: quietMs });
      if (!read.done) {
        batch.push(read.value);
        continue;
      }
      if (batch.length > 0) {
        yield this.#emit(batch, batchSize);
        batch = [];
      }
      if (read.reason === "closed") return;
    }
  }

  stats(): BatchAssemblerStats {
    return Object.freeze({
      fullBatches: this.#fullBatches,
      partialBatches: this.#partialBatches,
      records: this.#records,
    });
  }

  #emit<T>(batch: T[], batchSize: number): T[] {
    if (batch.length === batchSize) this.#fullBatches++;
    else this.#partialBatches++;
    this.#records += batch.length;
    return batch;
  }
}
