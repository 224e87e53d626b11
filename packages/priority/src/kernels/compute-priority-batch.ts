/**
 * The priority kernel: CRITICAL records get an `urgencyScore`, how far the
 * reading lies outside the safe range as a percentage of the bound it
 * crossed; NORMAL records get `normalized`, the reading on the sensor's
 * nominal range [0, 100] scaled to [0, 1]. (A batch that is mostly CRITICAL
 * has no meaningful batch-local range, hence the fixed one.)
 */
import { type ColumnarBatch, defineKernel } from "@poolstream/core";
import { heavyScore } from "@poolstream/pool";
import { FAILURE_THRESHOLD, OVERHEAT_THRESHOLD, Priority } from "../classify.ts";
import type { PrioritizedRecord } from "../priority-batch-queue.ts";

/** Urgency of a reading that is not a finite number: the sensor has failed outright. */
export const FAILED_SENSOR_URGENCY = 100;

export type PriorityResult =
  | (PrioritizedRecord & { readonly priority: "CRITICAL"; readonly urgencyScore: number })
  | (PrioritizedRecord & { readonly priority: "NORMAL"; readonly normalized: number });

/**
 * `(value − 85) / 85 × 100` above the safe range, `(15 − value) / 15 × 100`
 * below it, 0 inside it, and `FAILED_SENSOR_URGENCY` for a value that is not
 * a finite number.
 */
export function urgencyScore(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return FAILED_SENSOR_URGENCY;
  if (value > OVERHEAT_THRESHOLD) return ((value - OVERHEAT_THRESHOLD) / OVERHEAT_THRESHOLD) * 100;
  if (value < FAILURE_THRESHOLD) return ((FAILURE_THRESHOLD - value) / FAILURE_THRESHOLD) * 100;
  return 0;
}

/** The reading on the nominal range [0, 100], as [0, 1]. */
export function nominalNormalized(value: number): number {
  return Math.min(1, Math.max(0, value / 100));
}

/** Input of the priority kernels: the records and, optionally, simulated analysis work per record. */
export interface PriorityBatchInput<R> {
  readonly records: R;
  /** Extra trigonometric operations per record, standing in for an expensive analysis. Default 0. */
  readonly workPerRecord?: number;
}

function simulateWork(value: number, operations: number): number {
  let sum = 0;
  for (let done = 0; done < operations; done += 100) sum += heavyScore(value + done);
  return sum;
}

export const computePriorityBatch = defineKernel(
  import.meta.url,
  "computePriorityBatch",
  (input: PriorityBatchInput<readonly PrioritizedRecord[]>): PriorityResult[] => {
    const work = input.workPerRecord ?? 0;
    return input.records.map((record): PriorityResult => {
      if (work > 0) simulateWork(record.value, work);
      return record.priority === Priority.critical
        ? { ...record, priority: Priority.critical, urgencyScore: urgencyScore(record.value) }
        : { ...record, priority: Priority.normal, normalized: nominalNormalized(record.value) };
    });
  },
);

/** Columns and lanes: 1 in `critical` marks a CRITICAL record. */
export interface PriorityColumns {
  readonly columns: ColumnarBatch;
  readonly critical: Uint8Array;
}

/**
 * The same on a columnar batch: one score per record, the urgency for
 * CRITICAL records and `normalized` for NORMAL ones, transferred back.
 */
export const computePriorityColumnar = defineKernel(
  import.meta.url,
  "computePriorityColumnar",
  (input: PriorityBatchInput<PriorityColumns>): Float64Array => {
    const { columns, critical } = input.records;
    const work = input.workPerRecord ?? 0;
    const scores = new Float64Array(columns.length);
    for (let i = 0; i < columns.length; i++) {
      // A value that could not live in the column (a string, null...) was encoded as NaN: still a failure.
      const value = columns.value[i] as number;
      if (work > 0) simulateWork(value, work);
      scores[i] = critical[i] === 1 ? urgencyScore(value) : nominalNormalized(value);
    }
    return scores;
  },
  { transferOutput: true },
);
