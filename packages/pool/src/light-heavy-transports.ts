/**
 * The light and heavy kernels ready to run, by kernel and by how batches
 * travel: the one table the adaptive demo and the benchmarks pick from.
 */
import type { ColumnarBatch, SensorRecord } from "@poolstream/core";
import { type BatchTransport, columnarTransport, objectTransport } from "./batch-transport.ts";
import {
  computeHeavyBatch,
  computeHeavyColumnar,
  computeLightBatch,
  computeLightColumnar,
} from "./kernels/light-heavy.ts";

export type LightHeavyKernel = "light" | "heavy";
export type TransportName = "objects" | "columnar";

/** Records in, one score per record out, whichever way the batch travels. */
export type ScoreTransport =
  | BatchTransport<SensorRecord, readonly SensorRecord[], Float64Array, Float64Array>
  | BatchTransport<SensorRecord, ColumnarBatch, Float64Array, Float64Array>;

/** A fresh transport (with its own sensor table, for columns) for `kernel`, moving batches as `wire`. */
export function lightHeavyTransport(kernel: LightHeavyKernel, wire: TransportName): ScoreTransport {
  if (wire === "columnar") return columnarTransport(kernel === "light" ? computeLightColumnar : computeHeavyColumnar);
  return objectTransport(kernel === "light" ? computeLightBatch : computeHeavyBatch);
}
