/**
 * A fleet of simulated sensors behind one ingestion layer: what `bun run
 * start` and `bun run priority` read when no real input is given.
 */
import { type Clock, InvalidArgumentError, type Random } from "@poolstream/core";
import { AsyncIngestionLayer } from "./async-ingestion-layer.ts";
import { AsyncSensorSource } from "./async-sensor-source.ts";

export interface SimulatedSensorsOptions {
  /** How many sensors, named sensor-1, sensor-2, ... */
  readonly count: number;
  /** Time between readings of one sensor. Default 50 ms. */
  readonly intervalMs?: number;
  readonly seed?: number;
  /** Produces each value; default uniform in [0, 100]. */
  readonly valueGenerator?: (random: Random, seq: number) => number;
  /** Sensors that fail after N readings, by index from 0, to show source errors. */
  readonly failAfter?: Readonly<Record<number, number>>;
  readonly clock?: Clock;
}

export function simulatedSensors(options: SimulatedSensorsOptions): AsyncIngestionLayer {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
    throw new InvalidArgumentError(`count must be an integer from 1 to 1,000,000, got ${count}`);
  }
  const sources = Array.from(
    { length: count },
    (_, i) =>
      new AsyncSensorSource({
        id: `sensor-${i + 1}`,
        ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.valueGenerator === undefined ? {} : { valueGenerator: options.valueGenerator }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.failAfter?.[i] === undefined ? {} : { failAfter: options.failAfter[i] }),
      }),
  );
  return new AsyncIngestionLayer(sources);
}
