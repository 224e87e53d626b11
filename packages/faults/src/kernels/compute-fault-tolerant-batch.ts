/**
 * The fault-tolerant kernel: `computeBatch`'s statistics, with each record
 * validated on its own, so one bad reading becomes an error record instead
 * of failing its batch. It never throws for bad data and always returns one
 * entry per input record, in order. (Simulated crashes are not its business:
 * they belong to the executor that runs it.)
 */
import {
  defineKernel,
  errorRecordOf,
  type PoisonPill,
  type RecordFailure,
  type RecordSchema,
  RecordStatus,
  type SensorRecord,
  sensorSchema,
  toError,
} from "@poolstream/core";
import { type BatchStatsColumns, computeBatchStats, StatFlag } from "@poolstream/kernels";
import type { FaultTolerantEntry, SuccessEntry } from "../fault-entries.ts";

/**
 * Largest magnitude a reading may have. Beyond it, `max − min` over a batch
 * could overflow to Infinity and every normalization in the batch would be
 * silently wrong, so such a reading fails alone with a RangeError.
 */
export const MAX_SAFE_READING = Number.MAX_VALUE / 2;

/**
 * Why a record cannot be computed, or `undefined` when it can. Reads the value
 * through `schema` (the sensor record's `value` by default). May throw for a
 * hostile record (a getter, a Proxy).
 */
export function problemWith<R = unknown>(
  record: R,
  schema: RecordSchema<R> = sensorSchema as unknown as RecordSchema<R>,
): { readonly kind: "failed" | "poison"; readonly error: Error } | undefined {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return { kind: "failed", error: new TypeError(`record is not an object (${describe(record)})`) };
  }
  const value = schema.value(record);
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
 * The error record or poison pill for `record` (core's `RecordFailure`), or
 * `undefined` when it can be computed. Whatever goes wrong while reading it
 * (a getter that throws, a Proxy) fails this record alone.
 */
export function failureEntryFor<R = unknown>(record: R, schema?: RecordSchema<R>): RecordFailure | undefined {
  let problem: ReturnType<typeof problemWith>;
  try {
    problem = problemWith(record, schema);
  } catch (error) {
    return errorRecordOf(record, toError(error));
  }
  if (problem === undefined) return undefined;
  if (problem.kind === "failed") return errorRecordOf(record, problem.error);
  const pill: PoisonPill = { status: RecordStatus.poisonPill, error: problem.error.message, originalRecord: record };
  return pill;
}

/** The result of a valid record, from the batch statistics at its index: the record's own fields plus them. */
export function successEntry<R = SensorRecord>(record: R, stats: BatchStatsColumns, index: number): SuccessEntry<R> {
  const flags = stats.flags[index] as number;
  return {
    ...record,
    normalized: stats.normalized[index] as number,
    rollingMean: stats.rollingMean[index] as number,
    anomaly: (flags & StatFlag.anomaly) !== 0,
    valid: true,
    status: RecordStatus.ok,
  };
}

/** The per-record path on sensor records (or anything claiming to be one), callable in-process. */
export function computeFaultTolerantRecords(records: readonly unknown[]): FaultTolerantEntry[] {
  const failures = records.map((record) => failureEntryFor(record));
  // Only valid readings enter the statistics: the others are NaN, which computeBatchStats leaves out.
  const values = new Float64Array(records.length);
  failures.forEach((failure, i) => {
    values[i] = failure === undefined ? (records[i] as SensorRecord).value : Number.NaN;
  });
  const stats = computeBatchStats(values);
  return failures.map((failure, i) => failure ?? successEntry(records[i] as SensorRecord, stats, i));
}

/**
 * The kernel on record objects: one entry per record, in order. It reads
 * `value` directly (a schema cannot cross to a worker), so records of another
 * shape go by the columnar kernel instead.
 */
export const computeFaultTolerantBatch = defineKernel(
  "@poolstream/faults/kernels",
  "computeFaultTolerantBatch",
  (records: readonly unknown[]): FaultTolerantEntry[] => computeFaultTolerantRecords(records),
);
