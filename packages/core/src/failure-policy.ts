/**
 * What a pipeline does with a batch whose call failed as a whole (the kernel
 * threw, its worker died, it ran past its timeout). Records that fail alone
 * never get here: the kernel returns them as error records or poison pills.
 * The policies (`@poolstream/faults`) are fail fast, collect, and recover
 * then dead-letter; each turns the failed batch into parts whose records are
 * accounted for, or stops the pipeline.
 */
import type { Executor } from "./executor.ts";

export interface BatchFailure<R> {
  readonly batchId: number;
  readonly records: readonly R[];
  readonly error: Error;
  /** Calls made on these records so far (1 after the first). */
  readonly attempts: number;
}

/** What the pipeline lends a policy. */
export interface RecoveryTools<R> {
  /**
   * Runs `records` again through the pipeline's transport on `executor` and
   * resolves with one decoded output per record; rejects as `executor.run` does.
   */
  retry(records: readonly R[], executor: Executor): Promise<ArrayLike<unknown>>;
  /** Tells the pipeline's listeners that a call failed and what happens next. */
  notify(failure: BatchFailure<R>, next: "retry" | "bisect" | "dead-letter" | "collect" | "stop"): void;
}

/** Records of a failed batch, and what became of them. */
export type ResolvedPart<R> =
  /** A retry computed them: `outputs` are per record, as from the first call (they may hold error records). */
  | {
      readonly kind: "computed";
      readonly records: readonly R[];
      readonly outputs: ArrayLike<unknown>;
      readonly attempts: number;
    }
  /** Each record becomes an error record carrying `error`. */
  | { readonly kind: "failed"; readonly records: readonly R[]; readonly error: Error; readonly attempts: number }
  /** Each record was written to the dead-letter log (committed before this is returned). */
  | {
      readonly kind: "dead-lettered";
      readonly records: readonly R[];
      readonly error: Error;
      readonly attempts: number;
    }
  /**
   * Neither computed nor committed anywhere, because the machinery failed
   * first (the dead-letter log could not be written): counted as not
   * written. A resolution with such a part sets `stop` to that failure.
   */
  | { readonly kind: "unresolved"; readonly records: readonly R[]; readonly error: Error; readonly attempts: number };

export interface FailureResolution<R> {
  /** Together they hold every record of the failed batch exactly once. */
  readonly parts: readonly ResolvedPart<R>[];
  /**
   * The pipeline stops cutting batches and `run()` rejects with this as the
   * cause: set by fail fast, and by a policy whose machinery failed.
   */
  readonly stop?: Error;
}

export interface FailurePolicy {
  readonly name: string;
  /**
   * Resolves a failed batch. Throwing is a failure of the machinery (the
   * dead-letter log cannot be written): the pipeline stops cleanly and reports it.
   */
  resolve<R>(failure: BatchFailure<R>, tools: RecoveryTools<R>): Promise<FailureResolution<R>>;
}

/**
 * Stop at the first failed batch; its records are reported as error records.
 * The default of a pipeline, and so in core; the other policies are in
 * `@poolstream/faults`.
 */
export function failFast(): FailurePolicy {
  return Object.freeze({
    name: "fail",
    async resolve<R>(failure: BatchFailure<R>, tools: RecoveryTools<R>): Promise<FailureResolution<R>> {
      tools.notify(failure, "stop");
      const { records, error, attempts } = failure;
      return { parts: [{ kind: "failed", records, error, attempts }], stop: error };
    },
  });
}
