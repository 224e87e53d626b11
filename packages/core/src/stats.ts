/** Small statistics helpers for latency and throughput reports. */

export interface Distribution {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

const EMPTY: Distribution = Object.freeze({ count: 0, mean: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 });

/** The `p`-th percentile (0–100) of ascending `sorted`, by linear interpolation between ranks. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (n - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(n - 1, lower + 1);
  const low = sorted[lower] as number;
  return low + ((sorted[upper] as number) - low) * (rank - lower);
}

/** Arithmetic mean; 0 for no values. */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/** Count, mean, min, p50, p95, p99 and max of `values` (all zero when empty). */
export function summarize(values: ArrayLike<number>): Distribution {
  if (values.length === 0) return EMPTY;
  const sorted = Float64Array.from(values).sort();
  return Object.freeze({
    count: sorted.length,
    mean: mean(sorted),
    min: sorted[0] as number,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  });
}

/** Collects samples (latencies, durations) to summarize later. Grows by doubling; no per-sample allocation. */
export class SampleRecorder {
  #samples = new Float64Array(1024);
  #count = 0;

  record(value: number): void {
    if (this.#count === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2);
      grown.set(this.#samples);
      this.#samples = grown;
    }
    this.#samples[this.#count++] = value;
  }

  get count(): number {
    return this.#count;
  }

  /** The samples recorded from index `from` on (default: all of them). */
  summary(from = 0): Distribution {
    return summarize(this.#samples.subarray(Math.min(Math.max(0, from), this.#count), this.#count));
  }
}
