/**
 * The cost model of a batch: `duration = overhead + size × perRecord`. The
 * overhead is what every batch pays whatever its size (the message to a
 * worker and back, the bookkeeping around it); the per-record cost is the
 * kernel's work and the copying of each record. Their ratio decides the best
 * size: the larger the overhead against the per-record cost, the more a
 * larger batch saves.
 *
 * A fit over every batch seen resists noise that a comparison of two rounds
 * cannot: one round's stall moves one point of many. Each size's durations
 * are first reduced to their median, so a stall of many times the usual cost
 * on a few batches leaves the median (and the fit) where it was.
 */
import { InvalidArgumentError, percentile } from "@poolstream/core";

/** `durationMs = overheadMs + size × perRecordMs`, both ≥ 0. */
export interface CostModel {
  readonly overheadMs: number;
  readonly perRecordMs: number;
}

/** One measured batch. */
export interface CostSample {
  readonly batchSize: number;
  readonly durationMs: number;
}

/**
 * Fits the cost model to `samples` by least squares over each size's median
 * duration, weighted by how many samples the size has over the square of its
 * median (the noise is relative). A size with fewer
 * than `minSamples` samples (default 3) is left out: the median of two is
 * their mean, and one stall among them would move it by half its size. A
 * negative term is not physical: it is set to 0 and the other refitted
 * alone. Returns `undefined` when the sizes left span less than `minSpread`
 * (largest ÷ smallest, default 1.2), too little to tell overhead from
 * per-record cost.
 */
export function fitCostModel(samples: readonly CostSample[], minSpread = 1.2, minSamples = 3): CostModel | undefined {
  const bySize = new Map<number, number[]>();
  for (const { batchSize, durationMs } of samples) {
    if (!(batchSize > 0 && durationMs >= 0 && Number.isFinite(durationMs))) continue;
    const durations = bySize.get(batchSize);
    if (durations === undefined) bySize.set(batchSize, [durationMs]);
    else durations.push(durationMs);
  }
  return fitSizeMedians(
    [...bySize].map(([size, durations]) => ({ size, count: durations.length, median: medianOf(durations) })),
    minSpread,
    minSamples,
  );
}

/** A nanosecond: the least a batch is taken to cost when weighing it. */
const MIN_MEDIAN_MS = 1e-6;

/** One size's samples, reduced to their median. */
export interface SizeMedian {
  readonly size: number;
  readonly count: number;
  readonly median: number;
}

/**
 * `fitCostModel` on sizes already reduced to their medians: a sizer that
 * keeps its medians up to date fits without grouping and sorting every
 * sample again each round.
 */
export function fitSizeMedians(
  sizeMedians: readonly SizeMedian[],
  minSpread = 1.2,
  minSamples = 3,
): CostModel | undefined {
  const kept = sizeMedians.filter((m) => m.count >= minSamples);
  if (kept.length < 2) return undefined;
  let smallest = Number.POSITIVE_INFINITY;
  let largest = 0;
  for (const { size } of kept) {
    smallest = Math.min(smallest, size);
    largest = Math.max(largest, size);
  }
  if (largest / smallest < minSpread) return undefined;
  // The noise is relative (a stall or a preemption stretches a batch in proportion), so a point's
  // weight is its count over its squared size: in absolute terms a 200-record batch varies 40 times as
  // much as a 5-record one, and unweighted it would decide the intercept too.
  const points = kept.map(({ size, median, count }) => ({
    size,
    median,
    // Floored: a size timed at 0 ms (a coarse clock) would otherwise weigh Infinity and break the fit.
    weight: count / Math.max(median, MIN_MEDIAN_MS) ** 2,
  }));
  let weight = 0;
  let sumSize = 0;
  let sumDuration = 0;
  for (const point of points) {
    weight += point.weight;
    sumSize += point.weight * point.size;
    sumDuration += point.weight * point.median;
  }
  const meanSize = sumSize / weight;
  const meanDuration = sumDuration / weight;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += point.weight * (point.size - meanSize) * (point.median - meanDuration);
    variance += point.weight * (point.size - meanSize) ** 2;
  }
  const perRecordMs = covariance / variance;
  if (perRecordMs < 0) return { overheadMs: meanDuration, perRecordMs: 0 }; // Size costs nothing: all overhead.
  const overheadMs = meanDuration - perRecordMs * meanSize;
  if (overheadMs >= 0) return { overheadMs, perRecordMs };
  // No overhead at all: the line through the origin.
  let sizeDuration = 0;
  let sizeSquared = 0;
  for (const point of points) {
    sizeDuration += point.weight * point.size * point.median;
    sizeSquared += point.weight * point.size * point.size;
  }
  return { overheadMs: 0, perRecordMs: sizeDuration / sizeSquared };
}

/**
 * The smallest of `sizes` whose cost per record under `model` is within
 * `tolerance` of the lowest among them: the monitor's rule, applied to
 * predicted costs instead of measured ones. At equal cost a smaller batch
 * means lower latency, so a size that saves less than `tolerance` is not
 * worth its wait. Throws `InvalidArgumentError` for no sizes, a size that is
 * not a positive integer, or a tolerance outside [0, 1).
 */
export function smallestSizeWithin(model: CostModel, sizes: readonly number[], tolerance: number): number {
  if (!(tolerance >= 0 && tolerance < 1)) {
    throw new InvalidArgumentError(`tolerance must be in [0, 1), got ${tolerance}`);
  }
  if (sizes.length === 0 || !sizes.every((size) => Number.isInteger(size) && size >= 1)) {
    throw new InvalidArgumentError(`sizes must be positive integers, at least one, got [${sizes.join(", ")}]`);
  }
  return smallestOf(model, sizes, tolerance);
}

/** `smallestSizeWithin` without checking its arguments: for a caller that checked them once. */
export function smallestOf(model: CostModel, sizes: readonly number[], tolerance: number): number {
  const { overheadMs, perRecordMs } = model;
  // A model that is not a pair of finite costs says nothing: the largest size is the safe choice.
  if (!(Number.isFinite(overheadMs) && Number.isFinite(perRecordMs))) return Math.max(...sizes);
  let lowest = Number.POSITIVE_INFINITY;
  for (const size of sizes) lowest = Math.min(lowest, overheadMs / size + perRecordMs);
  const limit = lowest * (1 + tolerance);
  let smallest = Number.POSITIVE_INFINITY;
  for (const size of sizes) if (overheadMs / size + perRecordMs <= limit) smallest = Math.min(smallest, size);
  return smallest;
}

/**
 * The sizes a search steps between: `min × factor^k` below `max`, and `max`
 * (5, 10, 20, 40, 80, 160, 200 for the defaults). A ladder rather than every
 * integer keeps the decision from wandering with the noise of the fit: two
 * neighbouring rungs differ by more than measurement noise can hide.
 */
export function sizeLadder(min: number, max: number, factor: number): number[] {
  const sizes: number[] = [];
  for (let size = min; size < max; size = Math.max(size + 1, Math.round(size * factor))) sizes.push(size);
  sizes.push(max);
  return sizes;
}

/** The median of a non-empty list (it is not changed). */
export function medianOf(values: readonly number[]): number {
  // A numeric typed-array sort, without a comparator: the cheapest sort there is for a few numbers.
  return percentile(Float64Array.from(values).sort(), 50);
}
