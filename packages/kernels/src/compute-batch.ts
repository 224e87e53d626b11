/**
 * The standard batch kernel: min–max normalization over the batch, a 5-point
 * trailing rolling mean, and an anomaly flag. One computation on columns,
 * with two entry points: `computeBatch` for record objects and
 * `computeBatchColumnar` for columnar batches (transferred both ways). The
 * kernels are addressed by package name, so any worker or process that has
 * `@poolstream/kernels` installed can find them.
 */
import {
  type ColumnarBatch,
  defineKernel,
  type ProcessedRecord,
  type RecordSchema,
  type SensorRecord,
  sensorSchema,
} from "@poolstream/core";

/** Width of the trailing rolling mean. */
export const ROLLING_WINDOW = 5;
/** A normalized value above this is an anomaly. */
export const ANOMALY_THRESHOLD = 0.8;
/** Bits of `BatchStatsColumns.flags`. */
export const StatFlag = { anomaly: 1, valid: 2 } as const;

/** What `computeBatch` adds to each record, as columns. */
export interface BatchStatsColumns {
  readonly length: number;
  readonly normalized: Float64Array;
  readonly rollingMean: Float64Array;
  /** `StatFlag` bits per record. */
  readonly flags: Uint8Array;
}

/**
 * Scales `value` into [0, 1] between `min` and `max`. When the range itself
 * overflows (values near ±Number.MAX_VALUE), it works on halves, which cannot.
 */
export function minMaxNormalize(value: number, min: number, max: number): number {
  if (max === min) return 0;
  const range = max - min;
  if (Number.isFinite(range)) return (value - min) / range;
  return (value / 2 - min / 2) / (max / 2 - min / 2);
}

/** Zeroed stats columns for `length` records, in one buffer (so they transfer as one). */
export function allocateBatchStats(length: number): BatchStatsColumns {
  const buffer = new ArrayBuffer(17 * length);
  return {
    length,
    normalized: new Float64Array(buffer, 0, length),
    rollingMean: new Float64Array(buffer, 8 * length, length),
    flags: new Uint8Array(buffer, 16 * length, length),
  };
}

/**
 * The computation. Normalizes each finite value min–max over the batch's
 * finite values (0 when they are all equal), takes the trailing mean of up to
 * 5 normalized values and flags `normalized > 0.8`. A value that is not a
 * finite number is left out of every statistic: normalized 0, mean 0, no flags.
 */
export function computeBatchStats(values: Float64Array): BatchStatsColumns {
  const n = values.length;
  const out = allocateBatchStats(n);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const value = values[i] as number;
    if (Number.isFinite(value)) {
      if (value < min) min = value;
      if (value > max) max = value;
    }
  }
  // The last ROLLING_WINDOW normalized values of valid records, as a ring.
  const window = new Float64Array(ROLLING_WINDOW);
  let validCount = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i] as number;
    if (!Number.isFinite(value)) continue;
    const normalized = minMaxNormalize(value, min, max);
    window[validCount % ROLLING_WINDOW] = normalized;
    validCount++;
    const filled = Math.min(validCount, ROLLING_WINDOW);
    let sum = 0;
    for (let k = 0; k < filled; k++) sum += window[k] as number;
    out.normalized[i] = normalized;
    out.rollingMean[i] = sum / filled;
    out.flags[i] = StatFlag.valid | (normalized > ANOMALY_THRESHOLD ? StatFlag.anomaly : 0);
  }
  return out;
}

/**
 * The value column of record objects, read through `schema` (the sensor
 * record's `value` by default); anything that is not a number becomes NaN
 * (invalid). The schema's accessor must not throw, as `RecordSchema` requires.
 */
export function valuesOf<R = SensorRecord>(
  batch: readonly R[],
  schema: RecordSchema<R> = sensorSchema as unknown as RecordSchema<R>,
): Float64Array {
  const values = new Float64Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const value = schema.value(batch[i] as R);
    values[i] = typeof value === "number" ? value : Number.NaN;
  }
  return values;
}

/**
 * Joins records with their computed columns into result objects: each keeps
 * the record's own fields (whatever its shape) and adds the statistics at its
 * index. `stats` must come from this batch, in this order.
 */
export function materializeProcessed<R>(batch: readonly R[], stats: BatchStatsColumns): ProcessedRecord<R>[] {
  const results = new Array<ProcessedRecord<R>>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const flags = stats.flags[i] as number;
    results[i] = {
      ...(batch[i] as R),
      normalized: stats.normalized[i] as number,
      rollingMean: stats.rollingMean[i] as number,
      anomaly: (flags & StatFlag.anomaly) !== 0,
      valid: (flags & StatFlag.valid) !== 0,
    };
  }
  return results;
}

/** `computeBatchStats` on sensor record objects, returning result objects. */
export function computeBatchRecords(batch: readonly SensorRecord[]): ProcessedRecord[] {
  return materializeProcessed(batch, computeBatchStats(valuesOf(batch)));
}

/** The kernel on record objects: each result keeps the record's fields and adds `normalized`, `rollingMean`, `anomaly`, `valid`. */
export const computeBatch = defineKernel("@poolstream/kernels", "computeBatch", computeBatchRecords);

/**
 * The kernel on a columnar batch: returns the stats columns, transferred back.
 * Values whose kind is not a number were encoded as NaN and come out invalid.
 */
export const computeBatchColumnar = defineKernel(
  "@poolstream/kernels",
  "computeBatchColumnar",
  (batch: ColumnarBatch): BatchStatsColumns => computeBatchStats(batch.value),
  { transferOutput: true },
);
