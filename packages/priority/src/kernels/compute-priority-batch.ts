/**
 * The priority kernels: CRITICAL records get an `urgencyScore`, how far the
 * reading lies outside the safe range as a percentage of the bound it
 * crossed; NORMAL records get `normalized`, the reading on the sensor's
 * nominal range [0, 100] scaled to [0, 1]. (A batch that is mostly CRITICAL
 * has no meaningful batch-local range, hence the fixed one.) Records that do
 * not carry their lane are classified here, so plain records can be sent.
 */
import { type ColumnarBatch, defineKernel, type SensorRecord } from "@poolstream/core";
import { heavyScore } from "@poolstream/kernels";
import { classify, DEFAULT_THRESHOLDS, Priority, type Thresholds } from "../classify.ts";

/** Urgency of a reading that is not a finite number: the sensor has failed outright. */
export const FAILED_SENSOR_URGENCY = 100;

/** A record with its lane decided. */
export type PrioritizedRecord<R = SensorRecord> = R & { readonly priority: Priority };

/** What the object kernels take: sensor records, each with its lane or without (then it is classified). */
export type PriorityInput = SensorRecord & { readonly priority?: Priority };

/** A record with its lane and its score: `urgencyScore` when CRITICAL, `normalized` when NORMAL. */
export type PriorityResult<R = SensorRecord> =
  | (R & { readonly priority: "CRITICAL"; readonly urgencyScore: number })
  | (R & { readonly priority: "NORMAL"; readonly normalized: number });

/**
 * `(value − overheat) / overheat × 100` above the safe range,
 * `(failure − value) / failure × 100` below it, 0 inside it, and
 * `FAILED_SENSOR_URGENCY` for a value that is not a finite number. With the
 * default thresholds (15, 85). A bound of 0 counts as 1, so the score stays finite.
 */
export function urgencyScore(value: unknown, thresholds: Thresholds = DEFAULT_THRESHOLDS): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return FAILED_SENSOR_URGENCY;
  const { overheat, failure } = thresholds;
  if (value > overheat) return ((value - overheat) / (Math.abs(overheat) || 1)) * 100;
  if (value < failure) return ((failure - value) / (Math.abs(failure) || 1)) * 100;
  return 0;
}

/** The reading on the nominal range [0, 100], as [0, 1]. */
export function nominalNormalized(value: number): number {
  return Math.min(1, Math.max(0, value / 100));
}

/** The lane a record carries (`priority` is CRITICAL or NORMAL), or `undefined`. Never throws. */
export function declaredPriority(record: unknown): Priority | undefined {
  if (typeof record !== "object" || record === null) return undefined;
  try {
    const priority = (record as { priority?: unknown }).priority;
    return priority === Priority.critical || priority === Priority.normal ? priority : undefined;
  } catch {
    return undefined;
  }
}

/** Stands in for an expensive analysis: about `operations` sine evaluations. */
function simulateWork(value: unknown, operations: number): number {
  const base = typeof value === "number" ? value : 0;
  let sum = 0;
  for (let done = 0; done < operations; done += 100) sum += heavyScore(base + done);
  return sum;
}

/**
 * The computation on record objects, callable in-process: each record's
 * lane (its own `priority`, or `classify` with the default thresholds) and
 * score, in order, after `workPerRecord` simulated operations per record.
 */
export function computePriorityRecords(records: readonly PriorityInput[], workPerRecord = 0): PriorityResult[] {
  return records.map((record): PriorityResult => {
    if (workPerRecord > 0) simulateWork(record.value, workPerRecord);
    return (declaredPriority(record) ?? classify(record)) === Priority.critical
      ? { ...record, priority: Priority.critical, urgencyScore: urgencyScore(record.value) }
      : { ...record, priority: Priority.normal, normalized: nominalNormalized(record.value) };
  });
}

/** The kernel on plain records: lanes for those that carry none, and a score for each. */
export const computePriorityBatch = defineKernel(
  "@poolstream/priority/kernels",
  "computePriorityBatch",
  (records: readonly PriorityInput[]): PriorityResult[] => computePriorityRecords(records),
);

/** Input of `computePriorityWork`: the records and the simulated analysis work per record. */
export interface PriorityBatchInput<R = PriorityInput> {
  readonly records: readonly R[];
  /** Extra trigonometric operations per record, standing in for an expensive analysis. Default 0. */
  readonly workPerRecord?: number;
}

/** `computePriorityBatch` with simulated analysis work per record: the demo's and the benchmarks' load. */
export const computePriorityWork = defineKernel(
  "@poolstream/priority/kernels",
  "computePriorityWork",
  (input: PriorityBatchInput): PriorityResult[] => computePriorityRecords(input.records, input.workPerRecord ?? 0),
);

/** Input of `computePriorityColumnar`: the columns, and the lanes as a column of their own. */
export interface PriorityColumns {
  readonly columns: ColumnarBatch;
  /** 1 for a CRITICAL record, 0 for a NORMAL one. */
  readonly critical: Uint8Array;
  /** Extra trigonometric operations per record. Default 0. */
  readonly workPerRecord?: number;
  /** The thresholds the lanes were decided with, for the urgency score. Default (15, 85). */
  readonly thresholds?: Thresholds;
}

/**
 * The same on a columnar batch: one score per record, the urgency for
 * CRITICAL records and `normalized` for NORMAL ones, transferred back. A value
 * that could not live in the column (a string, null...) was encoded as NaN:
 * still a failure, with `FAILED_SENSOR_URGENCY`.
 */
export const computePriorityColumnar = defineKernel(
  "@poolstream/priority/kernels",
  "computePriorityColumnar",
  (input: PriorityColumns): Float64Array => {
    const { columns, critical } = input;
    const work = input.workPerRecord ?? 0;
    const thresholds = input.thresholds ?? DEFAULT_THRESHOLDS;
    const scores = new Float64Array(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const value = columns.value[i] as number;
      if (work > 0) simulateWork(value, work);
      scores[i] = critical[i] === 1 ? urgencyScore(value, thresholds) : nominalNormalized(value);
    }
    return scores;
  },
  { transferOutput: true },
);
