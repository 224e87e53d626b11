/**
 * The chaos suite's kernels: a task that misbehaves as its fault class says,
 * and a batch of records whose first faulty record decides how the batch
 * misbehaves. A module of its own, because every worker imports it.
 */
import { defineKernel, errorRecordOf, type PoisonPill, RecordStatus } from "@poolstream/core";
import type { FaultClass } from "./faults.ts";
import { misbehave } from "./misbehave.ts";

/** One task of the executor scenario. */
export interface ChaosTask {
  readonly id: number;
  readonly fault: FaultClass;
  readonly values: Float64Array;
  /** Something that cannot be cloned, for the `unsendable` class. */
  readonly extra?: unknown;
}

export interface ChaosOutput {
  readonly id: number;
  readonly sum: number;
}

export function computeTask(task: ChaosTask): ChaosOutput {
  let sum = 0;
  for (const value of task.values) sum += value;
  return { id: task.id, sum };
}

export const chaosTask = defineKernel(import.meta.url, "chaosTask", (task: ChaosTask) =>
  misbehave(task.fault, () => computeTask(task)),
);

/** One record of the pipeline scenario; `fault` makes its whole batch misbehave. */
export interface ChaosRecord {
  readonly id: number;
  readonly value: unknown;
  readonly fault?: FaultClass;
  /** Something that cannot be cloned, for the `unsendable` class. */
  readonly extra?: unknown;
}

/** A record's output: twice its value, a poison pill for NaN or ±Infinity, an error record for a non-number. */
export function computeRecord(record: ChaosRecord): number | PoisonPill | ReturnType<typeof errorRecordOf> {
  if (typeof record.value !== "number") {
    return errorRecordOf(record, new TypeError(`value must be a number, got ${typeof record.value}`));
  }
  if (!Number.isFinite(record.value)) {
    return { status: RecordStatus.poisonPill, error: `value is ${record.value}`, originalRecord: record };
  }
  return record.value * 2;
}

/**
 * How a batch misbehaves: as its first record with a fault that fails the
 * batch; as `stray` (computes, then leaves a timer behind) only if it holds no
 * such record, for a stray batch succeeds and would hide the other fault.
 */
function batchFault(records: readonly ChaosRecord[]): FaultClass {
  let fault: FaultClass = "none";
  for (const record of records) {
    if (record.fault === undefined || record.fault === "none") continue;
    if (record.fault !== "stray") return record.fault;
    fault = "stray";
  }
  return fault;
}

/** One output per record; a batch that misbehaves may return something else instead (a function). */
type BatchOutputs = ReturnType<typeof computeRecord>[];

export const chaosBatch = defineKernel(
  import.meta.url,
  "chaosBatch",
  (records: readonly ChaosRecord[]): BatchOutputs | Promise<BatchOutputs> => {
    return misbehave(batchFault(records), () => records.map(computeRecord)) as BatchOutputs | Promise<BatchOutputs>;
  },
);
