/**
 * The fault-tolerant kernel on a columnar batch. The encoder kept each value's
 * kind, so the Worker can tell a string from a NaN reading without the
 * record; it returns a status per record and the statistics, transferred
 * back, and the main thread turns them into entries with the original
 * records (and the same error messages as the object kernel).
 */
import {
  type ColumnarBatch,
  defineKernel,
  errorRecordOf,
  type RecordSchema,
  type SensorRecord,
  ValueKind,
} from "@poolstream/core";
import { type BatchStatsColumns, computeBatchStats } from "@poolstream/kernels";
import type { FaultTolerantEntry } from "../fault-entries.ts";
import { failureEntryFor, MAX_SAFE_READING, successEntry } from "./compute-fault-tolerant-batch.ts";

/** Status of each record in `FaultTolerantColumns.status`. */
export const StatusCode = { ok: 0, failed: 1, poisonPill: 2 } as const;

/** What the columnar kernel returns: a `StatusCode` per record and the batch statistics of the valid ones. */
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

/** The computation on columns, callable in-process: statuses, and statistics over the `ok` values only. */
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

/** The kernel on a columnar batch; its statuses and statistics are transferred back. */
export const computeFaultTolerantColumnar = defineKernel(
  "@poolstream/faults/kernels",
  "computeFaultTolerantColumnar",
  (columns: ColumnarBatch): FaultTolerantColumns => computeFaultTolerantColumns(columns),
  { transferOutput: true },
);

/**
 * Entries from the kernel's columns and the records they were encoded from,
 * in order. Pass the schema the records were encoded with (the sensor
 * record's by default): failure messages are made here, from each record's
 * value read through it, exactly as the object kernel makes them.
 */
export function materializeFaultTolerant<R = unknown>(
  records: readonly R[],
  output: FaultTolerantColumns,
  schema?: RecordSchema<R>,
): FaultTolerantEntry[] {
  return records.map((record, i): FaultTolerantEntry => {
    if (output.status[i] === StatusCode.ok) return successEntry(record as unknown as SensorRecord, output.stats, i);
    return failureEntryFor(record, schema) ?? errorRecordOf(record, new TypeError("record could not be read"));
  });
}
