/**
 * The one rule for durations in options: milliseconds, more than 0 and at
 * most 2^31 − 1, the most a timer can hold (beyond it, setTimeout fires at
 * once). NaN and Infinity are not durations.
 */
import { InvalidArgumentError } from "./errors.ts";

/** The longest delay a timer can hold. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** True for a number of ms in (0, 2^31 − 1]. */
export function isDurationMs(value: unknown): value is number {
  return typeof value === "number" && value > 0 && value <= MAX_DURATION_MS;
}

/** The error for option `name` when it is not a duration. */
export function durationError(name: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${name} must be a number of ms in (0, 2^31 - 1], got ${String(value)}`);
}

/** Returns `value` when it is a duration; throws `InvalidArgumentError` naming `name` otherwise. */
export function checkDurationMs(name: string, value: number): number {
  if (!isDurationMs(value)) throw durationError(name, value);
  return value;
}
