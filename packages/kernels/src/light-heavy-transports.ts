/**
 * The light and heavy kernels ready to run, by kernel and by how batches
 * travel: the one table the adaptive demo and the benchmarks pick from.
 */
import {
  type BatchTransport,
  type ColumnarBatch,
  columnarTransport,
  objectTransport,
  type SensorRecord,
} from "@poolstream/core";
import { computeHeavyBatch, computeHeavyColumnar, computeLightBatch, computeLightColumnar } from "./light-heavy.ts";

/** Which end of the cost range: one multiplication per record, or 100 sines. */
export type LightHeavyKernel = "light" | "heavy";
/** How a batch travels: cloned record objects, or transferred columns. */
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
