/**
 * What the fault-tolerant path makes of each record: a result, an error
 * record, or a poison pill. Every entry keeps enough to act on it later.
 */
import type { ProcessedRecord } from "@poolstream/core";

export const RecordStatus = { ok: "OK", failed: "FAILED", poisonPill: "POISON_PILL" } as const;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

/** A record computed successfully. */
export type SuccessEntry = ProcessedRecord & { readonly status: "OK" };

/** A record that failed validation or arithmetic; the rest of its batch is unaffected. */
export interface FailedEntry {
  readonly status: "FAILED";
  /** The message of the error. */
  readonly error: string;
  /** The error's type: TypeError for a value of the wrong kind, RangeError for an overflow. */
  readonly errorType: string;
  readonly originalRecord: unknown;
}

/** A record whose value is NaN or ±Infinity: it can never be computed, retrying is pointless. */
export interface PoisonPillEntry {
  readonly status: "POISON_PILL";
  readonly error: string;
  readonly originalRecord: unknown;
}

export type FaultTolerantEntry = SuccessEntry | FailedEntry | PoisonPillEntry;
