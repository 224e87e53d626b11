/**
 * Makes records without waiting: a seeded, in-memory stand-in for sensors,
 * for batch programs, benchmarks and tests that want N records now.
 */
import { createRandom, InvalidArgumentError, type Random, type SensorRecord, systemClock } from "@poolstream/core";

export interface RecordGeneratorOptions {
  readonly count: number;
  readonly seed?: number;
  /** Records are spread round-robin over this many sensors. Default 5. */
  readonly sensors?: number;
  /** Default: uniform in [0, 100]. */
  readonly valueGenerator?: (random: Random, index: number) => number;
  /** `createdAt` of every record; default now. */
  readonly createdAt?: number;
}

export function generateSensorRecords(options: RecordGeneratorOptions): SensorRecord[] {
  const { count } = options;
  const sensors = options.sensors ?? 5;
  if (!Number.isInteger(count) || count < 0)
    throw new InvalidArgumentError(`count must be an integer >= 0, got ${count}`);
  if (!Number.isInteger(sensors) || sensors < 1)
    throw new InvalidArgumentError(`sensors must be an integer >= 1, got ${sensors}`);
  const random = createRandom(options.seed ?? 1);
  const generate = options.valueGenerator ?? ((r: Random) => r() * 100);
  const createdAt = options.createdAt ?? systemClock.now();
  const sensorIds = Array.from({ length: sensors }, (_, i) => `sensor-${i + 1}`);
  const records = new Array<SensorRecord>(count);
  for (let i = 0; i < count; i++) {
    records[i] = {
      sensorId: sensorIds[i % sensors] as string,
      seq: Math.floor(i / sensors),
      value: generate(random, i),
      timestamp: Math.floor(createdAt),
      createdAt,
    };
  }
  return records;
}
