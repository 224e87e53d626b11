/**
 * The fault-tolerant kernel on a columnar batch. The encoder kept each value's
 * kind, so the Worker can tell a string from a NaN reading without the
 * record; it returns a status per record and the statistics, transferred
 * back, and the main thread turns them into entries with the original
 * records (and the same error messages as the object kernel).
 */
import { type ColumnarBatch, defineKernel, type SensorRecord, ValueKind } from "@poolstream/core";
import { type BatchStatsColumns, computeBatchStats } from "@poolstream/pool";
import type { FaultTolerantEntry } from "../fault-entries.ts";
import { failureEntryFor, MAX_SAFE_READING, successEntry } from "./compute-fault-tolerant-batch.ts";

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
  return records.map((record, i): FaultTolerantEntry => {
    if (output.status[i] === StatusCode.ok) return successEntry(record as SensorRecord, output.stats, i);
    // The message is made here, from the record itself, exactly as the object kernel makes it.
    return (
      failureEntryFor(record) ?? {
        status: "FAILED",
        error: "record could not be read",
        errorType: "TypeError",
        originalRecord: record,
      }
    );
  });
}
