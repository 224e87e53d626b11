/**
 * Simulated readings with poison pills (a share of records whose value is NaN,
 * Infinity or -Infinity) and, optionally, malformed records (a value of the
 * wrong type, a value that would overflow, a record that is not an object).
 */
import { createRandom, InvalidArgumentError, type SensorRecord, systemClock } from "@poolstream/core";

const POISON_VALUES = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] as const;
const MALFORMED_VALUES: readonly unknown[] = [null, undefined, "12.5", true, { celsius: 21 }, Number.MAX_VALUE];

export interface FaultyRecordOptions {
  readonly count: number;
  /** Share of records that carry a poison value. Default 0.05. */
  readonly poisonRate?: number;
  /** Share of records that are malformed. Default 0. */
  readonly malformedRate?: number;
  readonly seed?: number;
  readonly sensors?: number;
}

/** `count` records, values uniform in [0, 100], some poisoned or malformed. Seeded, so runs repeat. */
export function generateFaultyRecords(options: FaultyRecordOptions): unknown[] {
  const { count } = options;
  const poisonRate = options.poisonRate ?? 0.05;
  const sensors = options.sensors ?? 5;
  if (!Number.isInteger(count) || count < 0)
    throw new InvalidArgumentError(`count must be an integer >= 0, got ${count}`);
  const malformedRate = options.malformedRate ?? 0;
  if (!(poisonRate >= 0 && malformedRate >= 0 && poisonRate + malformedRate <= 1)) {
    throw new InvalidArgumentError(
      `poisonRate and malformedRate must be >= 0 and add up to at most 1, got ${poisonRate} and ${malformedRate}`,
    );
  }
  const random = createRandom(options.seed ?? 1);
  const now = systemClock.now();
  return Array.from({ length: count }, (_, i): unknown => {
    const draw = random();
    const base = {
      sensorId: `sensor-${(i % sensors) + 1}`,
      seq: Math.floor(i / sensors),
      timestamp: Math.floor(now),
      createdAt: now,
    };
    if (draw < poisonRate) return { ...base, value: POISON_VALUES[Math.floor(random() * POISON_VALUES.length)] };
    if (draw < poisonRate + malformedRate) {
      const pick = Math.floor(random() * (MALFORMED_VALUES.length + 1));
      return pick === MALFORMED_VALUES.length ? `garbled frame ${i}` : { ...base, value: MALFORMED_VALUES[pick] };
    }
    return { ...base, value: random() * 100 } satisfies SensorRecord;
  });
}
