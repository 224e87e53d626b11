/**
 * The standard batch kernel: min–max normalization over the batch, a 5-point
 * trailing rolling mean, and an anomaly flag. Module-level, so a Worker can
 * import it by name; also a plain function for in-process use.
 */
import { defineKernel, type ProcessedRecord, type SensorRecord } from "@poolstream/core";

/** Width of the trailing rolling mean. */
export const ROLLING_WINDOW = 5;
/** A normalized value above this is an anomaly. */
export const ANOMALY_THRESHOLD = 0.8;

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

/**
 * Normalizes each record's value min–max over the batch's finite values (0 when
 * they are all equal), adds the trailing mean of up to 5 normalized values and
 * flags `normalized > 0.8`. A record whose value is not a finite number is kept,
 * marked `valid: false`, and left out of every statistic, so no NaN comes out.
 */
export function computeBatchRecords(batch: readonly SensorRecord[]): ProcessedRecord[] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const record of batch) {
    const value = record.value;
    if (typeof value === "number" && Number.isFinite(value)) {
      if (value < min) min = value;
      if (value > max) max = value;
    }
  }
  // The last ROLLING_WINDOW normalized values of valid records, as a ring.
  const window = new Float64Array(ROLLING_WINDOW);
  let validCount = 0;
  const results = new Array<ProcessedRecord>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const record = batch[i] as SensorRecord;
    const value = record.value;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      results[i] = { ...record, normalized: 0, rollingMean: 0, anomaly: false, valid: false };
      continue;
    }
    const normalized = minMaxNormalize(value, min, max);
    window[validCount % ROLLING_WINDOW] = normalized;
    validCount++;
    const filled = Math.min(validCount, ROLLING_WINDOW);
    let sum = 0;
    for (let k = 0; k < filled; k++) sum += window[k] as number;
    results[i] = {
      ...record,
      normalized,
      rollingMean: sum / filled,
      anomaly: normalized > ANOMALY_THRESHOLD,
      valid: true,
    };
  }
  return results;
}

export const computeBatch = defineKernel(import.meta.url, "computeBatch", computeBatchRecords);
