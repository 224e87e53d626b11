/**
 * The fault-tolerant kernel: `computeBatch`'s statistics, with each record
 * validated on its own, so one bad reading becomes an error record instead
 * of failing its batch. It never throws for bad data and always returns one
 * entry per input record, in order. It throws only when told to simulate a
 * crash, which is how the recovery path is exercised.
 */
import { defineKernel, type SensorRecord } from "@poolstream/core";
import { computeBatchStats, materializeProcessed } from "@poolstream/pool";
import type { FaultTolerantEntry, SuccessEntry } from "../fault-entries.ts";

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

/** The per-record path, callable in-process. */
export function computeFaultTolerantRecords(records: readonly unknown[]): FaultTolerantEntry[] {
  const entries = new Array<FaultTolerantEntry>(records.length);
  const validIndexes: number[] = [];
  records.forEach((record, i) => {
    try {
      const problem = problemWith(record);
      if (problem === undefined) {
        validIndexes.push(i);
        return;
      }
      if (problem.kind === "poison") {
        entries[i] = { status: "POISON_PILL", error: problem.error.message, originalRecord: record };
      } else {
        entries[i] = {
          status: "FAILED",
          error: problem.error.message,
          errorType: problem.error.name,
          originalRecord: record,
        };
      }
    } catch (error) {
      // A getter that throws, a Proxy...: whatever it is, it fails this record alone.
      const failure = error instanceof Error ? error : new Error(String(error));
      entries[i] = { status: "FAILED", error: failure.message, errorType: failure.name, originalRecord: record };
    }
  });
  const valid = validIndexes.map((i) => records[i] as SensorRecord);
  const values = new Float64Array(valid.length);
  valid.forEach((record, k) => {
    values[k] = record.value;
  });
  const processed = materializeProcessed(valid, computeBatchStats(values));
  processed.forEach((result, k) => {
    entries[validIndexes[k] as number] = { ...result, status: "OK" } satisfies SuccessEntry;
  });
  return entries;
}

export const computeFaultTolerantBatch = defineKernel(
  import.meta.url,
  "computeFaultTolerantBatch",
  (input: FaultTolerantBatchInput): FaultTolerantEntry[] => {
    if (input.simulateCrash === true) throw new Error("worker crash");
    return computeFaultTolerantRecords(input.records);
  },
);
