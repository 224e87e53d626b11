/**
 * A latency distribution in fixed memory: samples fall into logarithmic
 * buckets 1 % wide, from 1 µs to about 28 hours, so percentiles are within
 * 1 % of the truth however long a pipeline runs, where keeping every sample
 * would grow without bound. Count, mean, min and max are exact.
 */
import type { Distribution } from "./stats.ts";

const MIN_MS = 0.001;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(1e8 / MIN_MS) / LOG_GROWTH) + 1;

export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /**
   * Adds a sample in ms, standing for `weight` records (a pipeline samples a
   * few records of a large batch and weighs them, rather than pay for every
   * record). Negative values (clock skew) count as 0; NaN is ignored.
   */
  record(ms: number, weight = 1): void {
    if (Number.isNaN(ms) || !(weight > 0)) return;
    const value = Math.max(0, ms);
    const bucket = bucketOf(value);
    this.#counts[bucket] = (this.#counts[bucket] as number) + weight;
    this.#count += weight;
    this.#sum += value * weight;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** Records counted (the sum of the weights). */
  get count(): number {
    return this.#count;
  }

  /** The `p`-th percentile (0–100): the upper bound of its bucket, clamped to [min, max]. NaN when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(Number.MIN_VALUE, (Math.min(100, Math.max(0, p)) / 100) * this.#count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, upperBoundOf(i)));
    }
    return this.#max;
  }

  /** A frozen summary; all zero when empty. */
  summary(): Distribution {
    if (this.#count === 0) return Object.freeze({ count: 0, mean: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    return Object.freeze({
      count: this.#count,
      mean: this.#sum / this.#count,
      min: this.#min,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.#max,
    });
  }
}

function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

function upperBoundOf(bucket: number): number {
  return MIN_MS * GROWTH ** bucket;
}
