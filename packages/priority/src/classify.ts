/**
 * Which lane a record belongs in. Readings outside the safe range (by
 * default [15, 85]) signal an overheat (above) or a failing sensor (below);
 * so does a reading that is not a finite number at all. Those are CRITICAL
 * and must not wait behind routine readings.
 */
import { InvalidArgumentError, type RecordSchema, type SensorRecord, sensorSchema } from "@poolstream/core";

export const Priority = { critical: "CRITICAL", normal: "NORMAL" } as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

/** Values above this are a potential overheat (the default bound). */
export const OVERHEAT_THRESHOLD = 85;
/** Values below this suggest a failing sensor (the default bound). */
export const FAILURE_THRESHOLD = 15;

/** The safe range of readings; both bounds belong to it. */
export interface Thresholds {
  /** Above this, CRITICAL. Default 85. */
  readonly overheat: number;
  /** Below this, CRITICAL. Default 15. */
  readonly failure: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({
  overheat: OVERHEAT_THRESHOLD,
  failure: FAILURE_THRESHOLD,
});

/** Validates thresholds: finite, failure <= overheat. */
export function checkThresholds(thresholds: Partial<Thresholds> = {}): Thresholds {
  const overheat = thresholds.overheat ?? OVERHEAT_THRESHOLD;
  const failure = thresholds.failure ?? FAILURE_THRESHOLD;
  if (!Number.isFinite(overheat) || !Number.isFinite(failure) || failure > overheat) {
    throw new InvalidArgumentError(
      `thresholds must be finite with failure <= overheat, got failure ${failure} and overheat ${overheat}`,
    );
  }
  return Object.freeze({ overheat, failure });
}

/** True for a reading that is a finite number inside the safe range, the bounds included. */
export function isSafeValue(value: unknown, thresholds: Thresholds = DEFAULT_THRESHOLDS): boolean {
  return typeof value === "number" && value >= thresholds.failure && value <= thresholds.overheat;
}

/**
 * CRITICAL when the value is above `overheat` or below `failure`, or when it
 * is not a finite number (NaN, ±Infinity, missing, not a number, or the record
 * is not an object); NORMAL otherwise. Never throws.
 */
export function classify(record: unknown, thresholds: Thresholds = DEFAULT_THRESHOLDS): Priority {
  const value = typeof record === "object" && record !== null ? (record as { value?: unknown }).value : undefined;
  return isSafeValue(value, thresholds) ? Priority.normal : Priority.critical;
}

/** A classifier for records of any shape: reads the value through `schema`. Never throws. */
export function classifierFor<R = SensorRecord>(
  options: { readonly schema?: RecordSchema<R>; readonly thresholds?: Partial<Thresholds> } = {},
): (record: R) => Priority {
  const thresholds = checkThresholds(options.thresholds);
  const schema = options.schema ?? (sensorSchema as unknown as RecordSchema<R>);
  return (record) => {
    let value: unknown;
    try {
      value = schema.value(record);
    } catch {
      return Priority.critical; // a record that cannot even be read is a failing sensor
    }
    return isSafeValue(value, thresholds) ? Priority.normal : Priority.critical;
  };
}
