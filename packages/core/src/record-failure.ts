/**
 * What a record that could not be computed becomes: data, never an
 * exception. A kernel returns one output per record; an output that is an
 * error record or a poison pill stands for a record that failed alone, and
 * the rest of its batch is unaffected.
 */

export const RecordStatus = { ok: "OK", failed: "FAILED", poisonPill: "POISON_PILL" } as const;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

/** A record that failed validation or arithmetic, or whose batch failed under the collect policy. */
export interface ErrorRecord {
  readonly status: "FAILED";
  /** The message of the error. */
  readonly error: string;
  /** The error's type: TypeError for a value of the wrong kind, RangeError for an overflow, ... */
  readonly errorType: string;
  readonly originalRecord: unknown;
}

/** A record whose value is NaN or ±Infinity: it can never be computed, retrying is pointless. */
export interface PoisonPill {
  readonly status: "POISON_PILL";
  readonly error: string;
  readonly originalRecord: unknown;
}

export type RecordFailure = ErrorRecord | PoisonPill;

/** True for an error record or a poison pill. Cheap enough for every output: one `typeof` for numbers. */
export function isRecordFailure(output: unknown): output is RecordFailure {
  if (typeof output !== "object" || output === null) return false;
  const status = (output as { status?: unknown }).status;
  return status === RecordStatus.failed || status === RecordStatus.poisonPill;
}

/** The error record of `record` for `error`. */
export function errorRecordOf(record: unknown, error: Error): ErrorRecord {
  return { status: RecordStatus.failed, error: error.message, errorType: error.name, originalRecord: record };
}
