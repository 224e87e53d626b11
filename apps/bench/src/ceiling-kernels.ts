/**
 * The compute ceiling: each kernel's computation on data the thread already
 * holds, so no transport is counted. `measureHeldCompute` runs on the main
 * thread for the single-thread ceiling, and as a kernel on each Worker for the
 * two-worker ceiling.
 */
import { defineKernel } from "@poolstream/core";
import { computeBatchStats, heavyScore, lightScore, scoreValues } from "@poolstream/kernels";

export type KernelName = "light" | "heavy" | "standard";

export interface HeldComputeRequest {
  readonly kernel: KernelName;
  readonly records: number;
  readonly batchSize: number;
}

const held = new Map<number, Float64Array>();

function valuesFor(records: number): Float64Array {
  let values = held.get(records);
  if (values === undefined) {
    values = new Float64Array(records);
    for (let i = 0; i < records; i++) values[i] = (i * 7919) % 101;
    held.set(records, values);
  }
  return values;
}

/** Computes `records` values in batches of `batchSize`; returns the elapsed ms. */
export function measureHeldComputeMs(request: HeldComputeRequest): number {
  const values = valuesFor(request.records);
  let sink = 0;
  const start = performance.now();
  for (let offset = 0; offset < values.length; offset += request.batchSize) {
    const batch = values.subarray(offset, offset + request.batchSize);
    if (request.kernel === "standard") sink += computeBatchStats(batch).normalized[0] ?? 0;
    else sink += scoreValues(batch, request.kernel === "light" ? lightScore : heavyScore)[0] ?? 0;
  }
  const elapsed = performance.now() - start;
  if (Number.isNaN(sink)) throw new Error("unreachable: keeps the computation alive");
  return elapsed;
}

export const heldCompute = defineKernel(import.meta.url, "heldCompute", measureHeldComputeMs);
