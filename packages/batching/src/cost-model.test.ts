import { describe, expect, test } from "bun:test";
import { createRandom, InvalidArgumentError } from "@poolstream/core";
import { type CostSample, fitCostModel, sizeLadder, smallestSizeWithin } from "./cost-model.ts";

/** `count` samples of each size on `overhead + size × perRecord`, with jitter and rare large stalls. */
function noisySamples(overheadMs: number, perRecordMs: number, seed: number): CostSample[] {
  const random = createRandom(seed);
  const samples: CostSample[] = [];
  for (const batchSize of [10, 40, 80, 160, 200]) {
    for (let i = 0; i < 12; i++) {
      let durationMs = (overheadMs + perRecordMs * batchSize) * (0.9 + 0.2 * random());
      if (random() < 0.03) durationMs *= 10; // a stall: the thread was preempted, or a GC ran
      samples.push({ batchSize, durationMs });
    }
  }
  return samples;
}

describe("fitCostModel", () => {
  test("recovers a known overhead and per-record cost exactly from clean samples", () => {
    const samples = [10, 50, 200].map((batchSize) => ({ batchSize, durationMs: 0.03 + batchSize * 0.002 }));
    const model = fitCostModel(samples, 1.2, 1);
    expect(model?.overheadMs).toBeCloseTo(0.03, 9);
    expect(model?.perRecordMs).toBeCloseTo(0.002, 9);
  });

  test("under ±10 % jitter and 10x stalls on 3 % of batches, for every seed: close, and the same decision", () => {
    const ladder = sizeLadder(5, 200, 2);
    // Each term is as well determined as its share of the cost: a light kernel's per-record cost, and a heavy
    // one's overhead, are within the jitter of a large batch. Worst errors over the 50 seeds: 6 % and 11 %
    // (light), 27 % and 6 % (heavy).
    for (const { truth, overheadError, perRecordError } of [
      { truth: { overheadMs: 0.03, perRecordMs: 0.0002 }, overheadError: 0.1, perRecordError: 0.15 },
      { truth: { overheadMs: 0.03, perRecordMs: 0.0022 }, overheadError: 0.35, perRecordError: 0.1 },
    ]) {
      const decision = smallestSizeWithin(truth, ladder, 0.05);
      for (let seed = 1; seed <= 50; seed++) {
        const model = fitCostModel(noisySamples(truth.overheadMs, truth.perRecordMs, seed));
        if (model === undefined) throw new Error("no fit");
        expect(Math.abs(model.perRecordMs / truth.perRecordMs - 1)).toBeLessThan(perRecordError);
        expect(Math.abs(model.overheadMs / truth.overheadMs - 1)).toBeLessThan(overheadError);
        expect(smallestSizeWithin(model, ladder, 0.05)).toBe(decision);
      }
    }
  });

  test("least squares over every sample, without the medians, is thrown off by the stalls", () => {
    const truth = { overheadMs: 0.03, perRecordMs: 0.0002 };
    let worstMedian = 0;
    let worstMean = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const samples = noisySamples(truth.overheadMs, truth.perRecordMs, seed);
      const median = fitCostModel(samples);
      const mean = fitCostModel(samples.map((s, i) => ({ ...s, batchSize: s.batchSize + (i % 12) * 1e-6 })));
      worstMedian = Math.max(worstMedian, Math.abs((median?.overheadMs ?? 0) / truth.overheadMs - 1));
      worstMean = Math.max(worstMean, Math.abs((mean?.overheadMs ?? 0) / truth.overheadMs - 1));
    }
    // Giving every sample a size of its own turns each median into the sample itself: plain least squares.
    expect(worstMedian).toBeLessThan(0.1);
    expect(worstMean).toBeGreaterThan(0.5);
  });

  test("negative terms are not physical: all overhead, or none", () => {
    const flat = fitCostModel(
      [
        { batchSize: 10, durationMs: 5 },
        { batchSize: 200, durationMs: 4.9 },
      ],
      1.2,
      1,
    );
    expect(flat?.perRecordMs).toBe(0);
    expect(flat?.overheadMs).toBeCloseTo(4.95, 1);
    const proportional = fitCostModel(
      [
        { batchSize: 10, durationMs: 0.5 },
        { batchSize: 200, durationMs: 20 },
      ],
      1.2,
      1,
    );
    expect(proportional?.overheadMs).toBe(0);
    // Between the two sizes' own costs per record, 0.05 and 0.1 ms.
    expect(proportional?.perRecordMs).toBeGreaterThan(0.05);
    expect(proportional?.perRecordMs).toBeLessThan(0.1);
  });

  test("needs two sizes far enough apart, with 3 samples each, and ignores samples that are not measurements", () => {
    const thrice = (batchSize: number, durationMs: number) => [1, 2, 3].map(() => ({ batchSize, durationMs }));
    expect(fitCostModel([])).toBeUndefined();
    expect(fitCostModel(thrice(10, 1))).toBeUndefined();
    expect(fitCostModel([...thrice(100, 1), ...thrice(110, 1.1)])).toBeUndefined();
    // Two samples of a size are not enough: one stall among them would move their median by half.
    expect(
      fitCostModel([...thrice(10, 1), { batchSize: 200, durationMs: 20 }, { batchSize: 200, durationMs: 200 }]),
    ).toBeUndefined();
    const model = fitCostModel([
      ...thrice(10, 1),
      ...thrice(100, 10),
      ...thrice(50, Number.NaN),
      ...thrice(50, Number.POSITIVE_INFINITY),
      ...thrice(0, 1),
      ...thrice(60, -1),
    ]);
    expect(model?.overheadMs).toBeCloseTo(0, 9);
    expect(model?.perRecordMs).toBeCloseTo(0.1, 9);
  });
});

describe("smallestSizeWithin and sizeLadder", () => {
  const ladder = sizeLadder(5, 200, 2);

  test("the default ladder", () => {
    expect(ladder).toEqual([5, 10, 20, 40, 80, 160, 200]);
    expect(sizeLadder(7, 7, 2)).toEqual([7]);
    expect(sizeLadder(1, 4, 1.1)).toEqual([1, 2, 3, 4]); // a factor too small to move still climbs by one
  });

  test("overhead dominating: the top; per-record dominating: the bottom; in between: the smallest within 5 %", () => {
    expect(smallestSizeWithin({ overheadMs: 10, perRecordMs: 0.001 }, ladder, 0.05)).toBe(200);
    expect(smallestSizeWithin({ overheadMs: 0.001, perRecordMs: 1 }, ladder, 0.05)).toBe(5);
    expect(smallestSizeWithin({ overheadMs: 0, perRecordMs: 1 }, ladder, 0.05)).toBe(5);
    // overhead / perRecord = 10: 160 costs 1.2 % more per record than 200, 80 costs 7.1 % more.
    expect(smallestSizeWithin({ overheadMs: 1, perRecordMs: 0.1 }, ladder, 0.05)).toBe(160);
    expect(smallestSizeWithin({ overheadMs: 1, perRecordMs: 0.1 }, ladder, 0.1)).toBe(80);
    expect(smallestSizeWithin({ overheadMs: 1, perRecordMs: 0.1 }, ladder, 0)).toBe(200);
  });

  test("rejects a tolerance outside [0, 1) and sizes that are not positive integers", () => {
    const model = { overheadMs: 1, perRecordMs: 1 };
    for (const tolerance of [-0.1, 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => smallestSizeWithin(model, ladder, tolerance)).toThrow(InvalidArgumentError);
    }
    expect(() => smallestSizeWithin(model, [], 0.05)).toThrow(InvalidArgumentError);
    expect(() => smallestSizeWithin(model, [0, 10], 0.05)).toThrow(InvalidArgumentError);
    expect(() => smallestSizeWithin(model, [1.5], 0.05)).toThrow(InvalidArgumentError);
  });
});
