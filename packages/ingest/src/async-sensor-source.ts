/**
 * A simulated sensor: an async stream of readings, one per interval, with
 * values from a seeded generator so runs repeat. It can be told to fail after
 * N readings, which is how tests and demos exercise source errors.
 */
import {
  AbortError,
  type Clock,
  createRandom,
  deriveSeed,
  InvalidArgumentError,
  type Random,
  SensorFailureError,
  type SensorRecord,
  sleep,
  systemClock,
} from "@poolstream/core";

export interface AsyncSensorSourceOptions {
  readonly id: string;
  /** Time between readings. Default 50 ms. */
  readonly intervalMs?: number;
  /** Seed of the value generator; each sensor derives its own stream from it. Default 1. */
  readonly seed?: number;
  /** Stops the stream when it fires (the iteration ends quietly, it does not throw). */
  readonly signal?: AbortSignal;
  /** Throw a `SensorFailureError` after this many readings. */
  readonly failAfter?: number;
  /** Produces each value from the seeded generator; default uniform in [0, 100]. */
  readonly valueGenerator?: (random: Random, seq: number) => number;
  readonly clock?: Clock;
}

const uniformPercent = (random: Random) => random() * 100;

export class AsyncSensorSource implements AsyncIterable<SensorRecord> {
  readonly id: string;
  readonly intervalMs: number;
  readonly #options: AsyncSensorSourceOptions;
  readonly #clock: Clock;

  constructor(options: AsyncSensorSourceOptions) {
    const intervalMs = options.intervalMs ?? 50;
    // A timer cannot hold more than 2^31 − 1 ms: beyond it, it fires at once.
    if (!(intervalMs >= 0 && intervalMs <= 2 ** 31 - 1)) {
      throw new InvalidArgumentError(`intervalMs must be a number of ms in [0, 2^31 - 1], got ${intervalMs}`);
    }
    if (options.failAfter !== undefined && !(Number.isInteger(options.failAfter) && options.failAfter >= 0)) {
      throw new InvalidArgumentError(`failAfter must be an integer >= 0, got ${options.failAfter}`);
    }
    this.id = options.id;
    this.intervalMs = intervalMs;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  [Symbol.asyncIterator](): AsyncIterator<SensorRecord> {
    return this.readings(this.#options.signal)[Symbol.asyncIterator]();
  }

  /**
   * The readings, until `signal` fires. Readings are scheduled on a fixed grid
   * (start + n × interval), so a slow consumer does not make the rate drift.
   */
  async *readings(signal?: AbortSignal): AsyncGenerator<SensorRecord> {
    const random = createRandom(deriveSeed(this.#options.seed ?? 1, this.id));
    const generate = this.#options.valueGenerator ?? uniformPercent;
    const startMs = this.#clock.now();
    for (let seq = 0; ; seq++) {
      const dueMs = startMs + (seq + 1) * this.intervalMs;
      try {
        await sleep(this.#clock, dueMs - this.#clock.now(), signal);
      } catch (error) {
        if (error instanceof AbortError) return;
        throw error;
      }
      if (this.#options.failAfter !== undefined && seq >= this.#options.failAfter) {
        throw new SensorFailureError(this.id, `sensor ${this.id} failed after ${seq} readings`);
      }
      const now = this.#clock.now();
      yield { sensorId: this.id, seq, value: generate(random, seq), timestamp: Math.floor(now), createdAt: now };
    }
  }
}
