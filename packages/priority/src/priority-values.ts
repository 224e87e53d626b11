/** Simulated readings with a chosen share of CRITICAL values, for sources and tests. */
import { InvalidArgumentError, type Random } from "@poolstream/core";
import { FAILURE_THRESHOLD, OVERHEAT_THRESHOLD } from "./classify.ts";

/**
 * A value generator for `AsyncSensorSource` or `generateSensorRecords`: with
 * probability `criticalShare` a CRITICAL reading (half overheats in (85, 100],
 * half failures in [0, 15)), otherwise a NORMAL one in [15, 85].
 */
export function priorityValueGenerator(criticalShare = 0.2): (random: Random) => number {
  if (!(criticalShare >= 0 && criticalShare <= 1)) {
    throw new InvalidArgumentError(`criticalShare must be in [0, 1], got ${criticalShare}`);
  }
  const normalSpan = OVERHEAT_THRESHOLD - FAILURE_THRESHOLD;
  return (random) => {
    if (random() >= criticalShare) return FAILURE_THRESHOLD + random() * normalSpan;
    // Strictly outside the safe range: (85, 100] or [0, 15).
    return random() < 0.5 ? 100 - random() * (100 - OVERHEAT_THRESHOLD) * 0.999 : random() * FAILURE_THRESHOLD;
  };
}
