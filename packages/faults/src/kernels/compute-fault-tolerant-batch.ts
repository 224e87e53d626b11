/**
 * The fault-tolerant kernel: `computeBatch`'s statistics, with each record
 * validated on its own, so one bad reading becomes an error record instead
 * of failing its batch. It never throws for bad data and always returns one
 * entry per input record, in order. It throws only when told to simulate a
 * crash, which is how the recovery path is exercised.
 */
import { defineKernel, type SensorRecord } from "@poolstream/core";
import { type BatchStatsColumns, computeBatchStats, StatFlag } from "@poolstream/pool";
import type { FailedEntry, FaultTolerantEntry, PoisonPillEntry, SuccessEntry } from "../fault-entries.ts";

/**
 * Largest magnitude a reading may have. Beyond it, `max − min` over a batch
 * could overflow to Infinity and every normalization in the batch would be
 * silently wrong, so such a reading fails alone with a RangeError.
 */
export const MAX_SAFE_READING = Number.MAX_VALUE / 2;

export interface FaultTolerantBatchInput {
  readonly records: readonly unknown[];
  /** Throw `Error("worker crash")` instead of computing: the crash simulator's decision for this call. */
  readonly simulateCrash?: boolean;
}

/** Why a record cannot be computed, or `undefined` when it can. May throw for a hostile record (a getter). */
export function problemWith(
  record: unknown,
): { readonly kind: "failed" | "poison"; readonly error: Error } | undefined {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return { kind: "failed", error: new TypeError(`record is not an object (${describe(record)})`) };
  }
  const value = (record as { value?: unknown }).value;
  if (typeof value !== "number") {
    return { kind: "failed", error: new TypeError(`value is not a number (${describe(value)})`) };
  }
  if (!Number.isFinite(value)) return { kind: "poison", error: new RangeError(`value is ${value}`) };
  if (Math.abs(value) > MAX_SAFE_READING) {
    return { kind: "failed", error: new RangeError(`value ${value} would overflow the batch's normalization`) };
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return `a string: ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * The error record or poison pill for `record`, or `undefined` when it can be
 * computed. Whatever goes wrong while reading it (a getter that throws, a
 * Proxy) fails this record alone.
 */
export function failureEntryFor(record: unknown): FailedEntry | PoisonPillEntry | undefined {
  let problem: ReturnType<typeof problemWith>;
  try {
    problem = problemWith(record);
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    return { status: "FAILED", error: failure.message, errorType: failure.name, originalRecord: record };
  }
  if (problem === undefined) return undefined;
  return problem.kind === "poison"
    ? { status: "POISON_PILL", error: problem.error.message, originalRecord: record }
    : { status: "FAILED", error: problem.error.message, errorType: problem.error.name, originalRecord: record };
}

/** The result of a valid record, from the batch statistics at its index. */
export function successEntry(record: SensorRecord, stats: BatchStatsColumns, index: number): SuccessEntry {
  const flags = stats.flags[index] as number;
  return {
    ...record,
    normalized: stats.normalized[index] as number,
    rollingMean: stats.rollingMean[index] as number,
    anomaly: (flags & StatFlag.anomaly) !== 0,
    valid: true,
    status: "OK",
  };
}

/** The per-record path, callable in-process. */
export function computeFaultTolerantRecords(records: readonly unknown[]): FaultTolerantEntry[] {
  const failures = records.map(failureEntryFor);
  // Only valid readings enter the statistics: the others are NaN, which computeBatchStats leaves out.
  const values = new Float64Array(records.length);
  failures.forEach((failure, i) => {
    values[i] = failure === undefined ? (records[i] as SensorRecord).value : Number.NaN;
  });
  const stats = computeBatchStats(values);
  return failures.map((failure, i) => failure ?? successEntry(records[i] as SensorRecord, stats, i));
}

export const computeFaultTolerantBatch = defineKernel(
  import.meta.url,
  "computeFaultTolerantBatch",
  (input: FaultTolerantBatchInput): FaultTolerantEntry[] => {
    if (input.simulateCrash === true) throw new Error("worker crash");
    return computeFaultTolerantRecords(input.records);
  },
);
