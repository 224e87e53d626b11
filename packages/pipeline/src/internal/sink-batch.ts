/**
 * Turns one lane's part of a completed batch into what sinks are given:
 * results with their records, failures with theirs, and the records that
 * went to the dead-letter log. No copy in the common case, a whole batch of
 * results.
 */
import { isRecordFailure, type RecordFailure, type SinkBatch } from "@poolstream/core";

const NONE: readonly never[] = Object.freeze([]);

/** Stands in a batch's outputs for a record that went to the dead-letter log. */
export const DEAD_LETTERED: unique symbol = Symbol("dead-lettered");
/** Stands in a batch's outputs for a record a failure of the machinery left unresolved (counted as not written). */
export const UNRESOLVED: unique symbol = Symbol("unresolved");

/** One lane's part of a completed batch: `records[start, end)` and their outputs (same indices). */
export interface Part<R> {
  readonly batchId: number;
  readonly lane: number;
  readonly records: readonly R[];
  readonly outputs: ArrayLike<unknown>;
  readonly start: number;
  readonly end: number;
}

export function sinkBatchOf<R, Out>(part: Part<R>, laneName: string): SinkBatch<R, Out> {
  const { records, outputs, start, end } = part;
  // Typed-array outputs hold numbers only: no failure can be among them.
  let clean = ArrayBuffer.isView(outputs);
  if (!clean) {
    clean = true;
    for (let i = start; i < end; i++) {
      const output = outputs[i];
      if (output === DEAD_LETTERED || output === UNRESOLVED || isRecordFailure(output)) {
        clean = false;
        break;
      }
    }
  }
  if (clean) {
    const whole = start === 0 && end === records.length && end === outputs.length;
    return {
      lane: laneName,
      records: whole ? records : records.slice(start, end),
      results: (whole ? outputs : sliceOf(outputs, start, end)) as ArrayLike<Out>,
      failures: NONE,
      failedRecords: NONE,
      deadLettered: NONE,
    };
  }
  const kept: R[] = [];
  const results: Out[] = [];
  const failures: RecordFailure[] = [];
  const failedRecords: R[] = [];
  const deadLettered: R[] = [];
  for (let i = start; i < end; i++) {
    const output = outputs[i];
    if (output === UNRESOLVED) continue;
    if (output === DEAD_LETTERED) deadLettered.push(records[i] as R);
    else if (isRecordFailure(output)) {
      failures.push(output);
      failedRecords.push(records[i] as R);
    } else {
      kept.push(records[i] as R);
      results.push(output as Out);
    }
  }
  return { lane: laneName, records: kept, results, failures, failedRecords, deadLettered };
}

/** Records of the part counted already, before the sinks: dead letters, and records left unresolved. */
export function countedBeforeSinks<R>(part: Part<R>): number {
  let n = 0;
  for (let i = part.start; i < part.end; i++) {
    const output = part.outputs[i];
    if (output === DEAD_LETTERED || output === UNRESOLVED) n++;
  }
  return n;
}

function sliceOf(outputs: ArrayLike<unknown>, start: number, end: number): ArrayLike<unknown> {
  if (ArrayBuffer.isView(outputs)) return (outputs as unknown as Float64Array).subarray(start, end);
  return Array.prototype.slice.call(outputs, start, end);
}
