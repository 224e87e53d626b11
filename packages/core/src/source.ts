/**
 * Where a pipeline's records come from. A `Source` pushes records into a
 * target that waits while it is full (backpressure), until it runs out or its
 * signal fires; the ingestion layer (`@poolstream/ingest`) is one, made of
 * many sources. A pipeline also takes a plain `Iterable` or `AsyncIterable`.
 */

import type { SourceCheckpoint } from "./checkpoint.ts";

/** Where a source puts records: the pipeline's lanes. */
export interface RecordTarget<R> {
  /** Adds `record` if there is room now; throws `QueueClosedError` once closed. */
  tryPut(record: R): boolean;
  /** Adds `record`, waiting while there is no room; rejects with `QueueClosedError` once closed. */
  put(record: R, options?: { readonly signal?: AbortSignal }): Promise<void>;
}

export interface SourceError {
  readonly sourceId: string;
  readonly message: string;
  readonly error: Error;
}

export interface SourceReport {
  /** Records the target accepted, per source id. */
  readonly perSource: Readonly<Record<string, number>>;
  readonly total: number;
  /** Sources that failed while the others went on. */
  readonly errors: readonly SourceError[];
}

export interface Source<R> {
  /**
   * True when the source puts error records (`RecordFailure`s) among its
   * records for input it could not read: the pipeline passes them to the
   * sinks as they are instead of computing them.
   */
  readonly emitsFailures?: boolean;
  /** For a source that resumes or acknowledges: what the sink that commits outcomes tells it. */
  readonly checkpoint?: SourceCheckpoint<R>;
  /**
   * Puts records into `target` until every input has ended or `signal`
   * fires; a record counts once the target accepted it. Must not close the
   * target (its owner does). Rejecting means the input as a whole broke.
   */
  ingest(target: RecordTarget<R>, signal: AbortSignal): Promise<SourceReport>;
}
