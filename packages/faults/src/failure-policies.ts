/**
 * The three answers to a batch whose call failed as a whole:
 * - `failFast`: its records become error records and the pipeline stops;
 * - `collectFailures`: its records become error records (data) and the run goes on;
 * - `recoverThenDeadLetter`: it is retried on a separate recovery executor (so
 *   recovery never queues behind the failing work); optionally a batch that
 *   fails again is halved and the halves retried, so one bad record does not
 *   take its neighbours down; what still fails goes to the dead-letter log,
 *   committed before the pipeline counts it. The attempts a record may take
 *   are bounded (`maxAttempts`) and recorded with each dead letter.
 */
import {
  type BatchFailure,
  type Executor,
  type FailurePolicy,
  type FailureResolution,
  failFast,
  InvalidArgumentError,
  type RecoveryTools,
  type ResolvedPart,
  toError,
} from "@poolstream/core";
import type { DeadLetterLog } from "./dead-letter-log.ts";

/** Stop at the first failed batch; its records are reported as error records. (From core: the pipeline's default.) */
export { failFast };

/** A failed batch's records come back as error records carrying the batch's error; the run goes on. */
export function collectFailures(): FailurePolicy {
  return Object.freeze({
    name: "collect",
    async resolve<R>(failure: BatchFailure<R>, tools: RecoveryTools<R>): Promise<FailureResolution<R>> {
      tools.notify(failure, "collect");
      const { records, error, attempts } = failure;
      return { parts: [{ kind: "failed", records, error, attempts }] };
    },
  });
}

export interface RecoverThenDeadLetterOptions {
  /** Where failed batches are retried: a separate executor, e.g. a `WorkerPool` of one worker. */
  readonly recoveryExecutor: Executor;
  /** Where records go that still fail. */
  readonly deadLetterLog: DeadLetterLog;
  /** Halve a batch whose retry failed and retry the halves, down to single records. Default false. */
  readonly bisect?: boolean;
  /**
   * Calls a record may go through, the first one included, before it is
   * dead-lettered. Default 2 (the first call and one retry); with `bisect`,
   * 10 (enough to reach single records from batches of 256).
   */
  readonly maxAttempts?: number;
}

/** Retry on the recovery executor, optionally bisect, then dead-letter. */
export function recoverThenDeadLetter(options: RecoverThenDeadLetterOptions): FailurePolicy {
  const bisect = options.bisect ?? false;
  const maxAttempts = options.maxAttempts ?? (bisect ? 10 : 2);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 1000) {
    throw new InvalidArgumentError(`maxAttempts must be an integer from 1 to 1000, got ${maxAttempts}`);
  }
  if (typeof options.recoveryExecutor?.run !== "function") {
    throw new InvalidArgumentError("recoveryExecutor must be an Executor");
  }
  if (typeof options.deadLetterLog?.addMany !== "function") {
    throw new InvalidArgumentError("deadLetterLog must be a DeadLetterLog");
  }
  const { recoveryExecutor, deadLetterLog } = options;

  /** What one resolution has found so far: its parts, and the failure of the log, once it failed. */
  interface Progress<R> {
    readonly parts: ResolvedPart<R>[];
    storageFailure: Error | undefined;
  }

  /** The call numbered `failure.attempts` failed: retry once, then halve (with `bisect`), then dead-letter. */
  async function recover<R>(failure: BatchFailure<R>, tools: RecoveryTools<R>, progress: Progress<R>) {
    const { records, error, attempts } = failure;
    if (progress.storageFailure !== undefined) {
      // The log failed for an earlier part: nothing more is tried or written; these are left unresolved.
      progress.parts.push({ kind: "unresolved", records, error: progress.storageFailure, attempts });
      return;
    }
    if (attempts < maxAttempts && attempts === 1) {
      await retry(failure, tools, progress);
      return;
    }
    if (attempts < maxAttempts && bisect && records.length > 1) {
      tools.notify(failure, "bisect");
      const middle = Math.ceil(records.length / 2);
      await retry({ ...failure, records: records.slice(0, middle) }, tools, progress);
      await retry({ ...failure, records: records.slice(middle) }, tools, progress);
      return;
    }
    tools.notify(failure, "dead-letter");
    try {
      // Committed before the part is returned, so a dead letter is never counted without being durable.
      deadLetterLog.addMany(records, error, attempts);
      progress.parts.push({ kind: "dead-lettered", records, error, attempts });
    } catch (storage) {
      progress.storageFailure = toError(storage);
      progress.parts.push({ kind: "unresolved", records, error: progress.storageFailure, attempts });
    }
  }

  async function retry<R>(failure: BatchFailure<R>, tools: RecoveryTools<R>, progress: Progress<R>) {
    const { records, attempts } = failure;
    if (progress.storageFailure !== undefined) {
      progress.parts.push({ kind: "unresolved", records, error: progress.storageFailure, attempts });
      return;
    }
    tools.notify(failure, "retry");
    try {
      const outputs = await tools.retry(records, recoveryExecutor);
      progress.parts.push({ kind: "computed", records, outputs, attempts: attempts + 1 });
    } catch (retryError) {
      await recover({ ...failure, error: toError(retryError), attempts: attempts + 1 }, tools, progress);
    }
  }

  return Object.freeze({
    name: "dead-letter",
    async resolve<R>(failure: BatchFailure<R>, tools: RecoveryTools<R>): Promise<FailureResolution<R>> {
      const progress: Progress<R> = { parts: [], storageFailure: undefined };
      await recover(failure, tools, progress);
      // What was committed before the log failed stays counted as dead letters; the rest is unresolved.
      const { parts, storageFailure } = progress;
      return storageFailure === undefined ? { parts } : { parts, stop: storageFailure };
    },
  });
}
