/**
 * Which lane a record belongs in. Readings outside the safe range [15, 85]
 * signal an overheat (above) or a failing sensor (below); so does a reading
 * that is not a finite number at all. Those are CRITICAL and must not wait
 * behind routine readings.
 */

export const Priority = { critical: "CRITICAL", normal: "NORMAL" } as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

/** Values above this are a potential overheat. */
export const OVERHEAT_THRESHOLD = 85;
/** Values below this suggest a failing sensor. */
export const FAILURE_THRESHOLD = 15;

/** True for a reading that is a finite number inside [15, 85], the bounds included. */
export function isSafeValue(value: unknown): boolean {
  return typeof value === "number" && value >= FAILURE_THRESHOLD && value <= OVERHEAT_THRESHOLD;
}

/**
 * CRITICAL when `value > 85` or `value < 15`, or when the value is not a finite
 * number (NaN, ±Infinity, missing, not a number, or the record is not an
 * object); NORMAL otherwise. Never throws.
 */
export function classify(record: unknown): Priority {
  const value = typeof record === "object" && record !== null ? (record as { value?: unknown }).value : undefined;
  return isSafeValue(value) ? Priority.normal : Priority.critical;
}
