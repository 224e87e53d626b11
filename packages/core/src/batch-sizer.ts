/**
 * How big the next batch is. A pipeline asks `size` before it cuts a batch,
 * tells the sizer what it cut, and reports how long each batch took; the
 * sizer may change `size` in between. `fixedSize` never changes; the adaptive
 * sizer (`@poolstream/batching`) searches for the cheapest size per record.
 */
import { InvalidArgumentError } from "./errors.ts";

/** What a pipeline tells a sizer when it starts. */
export interface SizerContext {
  /** The executor's `capacity`: batches outstanding at most. */
  readonly capacity: number;
}

export interface BatchSizer {
  readonly name: string;
  /** The size to cut the next batch at; an integer >= 1. */
  readonly size: number;
  /** Called once, before the first batch. */
  start?(context: SizerContext): void;
  /** A batch of `records` was cut (fewer than `size` for a partial one); the result is handed back in `completed`. */
  cut(records: number): unknown;
  /** The batch of `ticket` returned; `timing` says how long it took. */
  completed(ticket: unknown, timing: BatchTiming): void;
}

/**
 * How long a batch took. A sizer that compares sizes by cost wants
 * `durationMs`; one that holds a latency budget wants `latencyMs`.
 */
export interface BatchTiming {
  /** From submission to result: what the batch's records waited for it, queueing included. */
  readonly latencyMs: number;
  /**
   * The batch's own cost when the executor measured it (`measure` is
   * "own-cost": encoding, sending, running, receiving and decoding, with any
   * wait in line left out); otherwise `latencyMs` ("submit-to-result").
   */
  readonly durationMs: number;
  readonly measure: BatchCostMeasure;
}

/** Whether a batch's `durationMs` is its own cost, or its submission-to-result time because the executor could not tell. */
export type BatchCostMeasure = "own-cost" | "submit-to-result";

/** Always `size`. */
export function fixedSize(size: number): BatchSizer {
  if (!Number.isInteger(size) || size < 1 || size > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`batch size must be an integer from 1 to 2^31 - 1, got ${size}`);
  }
  return Object.freeze({ name: `fixed ${size}`, size, cut: () => undefined, completed: () => {} });
}
