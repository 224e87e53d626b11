/**
 * The fault-tolerant kernel on a columnar batch. The encoder kept each value's
 * kind, so the Worker can tell a string from a NaN reading without the
 * record; it returns a status per record and the statistics, transferred
 * back, and the main thread turns them into entries with the original
 * records (and the same error messages as the object kernel).
 */
import { type ColumnarBatch, defineKernel, type SensorRecord, ValueKind } from "@poolstream/core";
import { type BatchStatsColumns, computeBatchStats, StatFlag } from "@poolstream/pool";
import type { FaultTolerantEntry } from "../fault-entries.ts";
import { MAX_SAFE_READING, problemWith } from "./compute-fault-tolerant-batch.ts";

/** Status of each record in `FaultTolerantColumns.status`. */
export const StatusCode = { ok: 0, failed: 1, poisonPill: 2 } as const;

export interface FaultTolerantColumnarInput {
  readonly columns: ColumnarBatch;
  /** The crash simulator's decision for this call. */
  readonly simulateCrash?: boolean;
}

export interface FaultTolerantColumns {
  readonly status: Uint8Array;
  readonly stats: BatchStatsColumns;
}

/** The status of one value from its kind and (when it is a number) its value. */
export function statusOf(kind: number, value: number): number {
  if (kind !== ValueKind.number) return StatusCode.failed;
  if (!Number.isFinite(value)) return StatusCode.poisonPill;
  return Math.abs(value) > MAX_SAFE_READING ? StatusCode.failed : StatusCode.ok;
}

export function computeFaultTolerantColumns(columns: ColumnarBatch): FaultTolerantColumns {
  const status = new Uint8Array(columns.length);
  // Only valid readings enter the statistics: the others become NaN, which computeBatchStats leaves out.
  const values = new Float64Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const value = columns.value[i] as number;
    status[i] = statusOf(columns.valueKind[i] as number, value);
    values[i] = status[i] === StatusCode.ok ? value : Number.NaN;
  }
  return { status, stats: computeBatchStats(values) };
}

export const computeFaultTolerantColumnar = defineKernel(
  import.meta.url,
  "computeFaultTolerantColumnar",
  (input: FaultTolerantColumnarInput): FaultTolerantColumns => {
    if (input.simulateCrash === true) throw new Error("worker crash");
    return computeFaultTolerantColumns(input.columns);
  },
  { transferOutput: true },
);

/** Entries from the kernel's columns and the records they were encoded from. */
export function materializeFaultTolerant(
  records: readonly unknown[],
  output: FaultTolerantColumns,
): FaultTolerantEntry[] {
  const { status, stats } = output;
  return records.map((record, i): FaultTolerantEntry => {
    if (status[i] === StatusCode.ok) {
      const flags = stats.flags[i] as number;
      return {
        ...(record as SensorRecord),
        normalized: stats.normalized[i] as number,
        rollingMean: stats.rollingMean[i] as number,
        anomaly: (flags & StatFlag.anomaly) !== 0,
        valid: true,
        status: "OK",
      };
    }
    // The message is made here, from the record itself, exactly as the object kernel makes it.
    const problem = describeProblem(record);
    return status[i] === StatusCode.poisonPill
      ? { status: "POISON_PILL", error: problem.error.message, originalRecord: record }
      : { status: "FAILED", error: problem.error.message, errorType: problem.error.name, originalRecord: record };
  });
}

function describeProblem(record: unknown): { readonly error: Error } {
  try {
    return problemWith(record) ?? { error: new TypeError("record could not be read") };
  } catch (error) {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }
}
