/**
 * Where a pipeline's outcomes go. A pipeline writes each completed batch to
 * every sink, lane by lane and in order within a lane, and awaits the write
 * before it counts the batch as done: a slow sink slows the pipeline down
 * (backpressure) instead of piling results up in memory. Every record of a
 * batch is in exactly one of `records` (a result), `failedRecords` (an error
 * record or a poison pill) and `deadLettered`; a record the pipeline could
 * not resolve (its machinery failed) is in none and counted as not written.
 */
import type { RecordFailure } from "./record-failure.ts";

/** One lane's part of a completed batch. */
export interface SinkBatch<R, Out> {
  /** The lane the records came through ("fifo", "CRITICAL", "NORMAL"). */
  readonly lane: string;
  /** The records that produced `results`, index for index. */
  readonly records: readonly R[];
  /** One result per record of `records`. */
  readonly results: ArrayLike<Out>;
  /** Error records and poison pills of this part: each stands for one record, with `originalRecord`. */
  readonly failures: readonly RecordFailure[];
  /**
   * The record each failure stands for, index for index, as the source made
   * it (a failure's `originalRecord` may be a copy that crossed to a worker
   * and back): what a sink keys a failure by, and what it acknowledges.
   */
  readonly failedRecords: readonly R[];
  /**
   * Records of this part that went to the dead-letter log (committed there
   * before this write). A sink that only writes results ignores them; one
   * that acknowledges its input, or keeps every record's outcome, needs them.
   */
  readonly deadLettered: readonly R[];
}

export interface Sink<R, Out> {
  /**
   * Takes one part of a batch. May be async: the pipeline waits. A write that
   * throws is a failure of the machinery: the pipeline stops with a
   * `SinkError` and reports what was and was not written.
   */
  write(batch: SinkBatch<R, Out>): void | Promise<void>;
  /** Called once, after the last write. Idempotent. */
  close(): void | Promise<void>;
}
