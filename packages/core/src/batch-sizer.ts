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
  /** The batch of `ticket` returned, after `durationMs` from submission to result. */
  completed(ticket: unknown, durationMs: number): void;
}

/** Always `size`. */
export function fixedSize(size: number): BatchSizer {
  if (!Number.isInteger(size) || size < 1 || size > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`batch size must be an integer from 1 to 2^31 - 1, got ${size}`);
  }
  return Object.freeze({ name: `fixed ${size}`, size, cut: () => undefined, completed: () => {} });
}
