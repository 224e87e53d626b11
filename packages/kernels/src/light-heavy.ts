/**
 * Two kernels at the ends of the cost range, for adaptive batch sizing and the
 * benchmarks: `computeLightBatch` does one arithmetic operation per record, so
 * moving a record to a Worker costs more than computing it; `computeHeavyBatch`
 * does 100 trigonometric operations per record, so computing dominates.
 *
 * Both return only what they compute, one number per record in input order,
 * as a Float64Array: copying it back from a Worker is one memcpy, where
 * copying back record objects would cost more than the light kernel itself.
 * The `Columnar` twins take a columnar batch and transfer their scores back.
 */
import { type ColumnarBatch, defineKernel, type SensorRecord } from "@poolstream/core";

/** Trigonometric operations per record in the heavy kernel. */
export const HEAVY_TRIG_OPERATIONS = 100;

/** The light kernel's per-record work: one multiplication. */
export function lightScore(value: number): number {
  return value * 2;
}

/** The heavy kernel's per-record work: 100 sine evaluations, summed. */
export function heavyScore(value: number): number {
  let sum = 0;
  for (let k = 1; k <= HEAVY_TRIG_OPERATIONS; k++) sum += Math.sin(value * k);
  return sum;
}

/** Applies `score` to each value; the one loop behind all four kernels. */
export function scoreValues(values: ArrayLike<number>, score: (value: number) => number): Float64Array {
  const scores = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) scores[i] = score(values[i] as number);
  return scores;
}

function recordValues(batch: readonly SensorRecord[]): number[] {
  return batch.map((record) => record.value);
}

/** The light kernel on record objects: `value × 2` per record, as a Float64Array. */
export const computeLightBatch = defineKernel(
  "@poolstream/kernels",
  "computeLightBatch",
  (batch: readonly SensorRecord[]) => scoreValues(recordValues(batch), lightScore),
);

/** The heavy kernel on record objects: `heavyScore(value)` per record, as a Float64Array. */
export const computeHeavyBatch = defineKernel(
  "@poolstream/kernels",
  "computeHeavyBatch",
  (batch: readonly SensorRecord[]) => scoreValues(recordValues(batch), heavyScore),
);

/** The light kernel on a columnar batch; its scores are transferred back. */
export const computeLightColumnar = defineKernel(
  "@poolstream/kernels",
  "computeLightColumnar",
  (batch: ColumnarBatch) => scoreValues(batch.value, lightScore),
  { transferOutput: true },
);

/** The heavy kernel on a columnar batch; its scores are transferred back. */
export const computeHeavyColumnar = defineKernel(
  "@poolstream/kernels",
  "computeHeavyColumnar",
  (batch: ColumnarBatch) => scoreValues(batch.value, heavyScore),
  { transferOutput: true },
);
