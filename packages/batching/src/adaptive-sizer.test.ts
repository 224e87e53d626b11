import { describe, expect, test } from "bun:test";
import { type BatchTiming, fixedSize, InvalidArgumentError } from "@poolstream/core";
import { costPerRecord, type SimulatedBatch, type SyntheticCost, simulate } from "../test/fixtures/simulate.ts";
import { AdaptiveSizer } from "./adaptive-sizer.ts";

const OVERHEAD_DOMINATES: SyntheticCost = { overheadMs: 1, perRecordMs: 0.001 };
const PER_RECORD_DOMINATES: SyntheticCost = { overheadMs: 0.001, perRecordMs: 1 };
/** overhead ÷ per-record = 10: 160 costs 1.2 % more per record than 200, 80 costs 7.1 % more. */
const IN_BETWEEN: SyntheticCost = { overheadMs: 1, perRecordMs: 0.1 };
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const noisy = { jitter: 0.1, stallRate: 0.03, stallFactor: 10 };

const ownCost = (durationMs: number): BatchTiming => ({ latencyMs: durationMs, durationMs, measure: "own-cost" });

function settledOn(cost: SyntheticCost, seed: number, extra: Partial<Parameters<typeof simulate>[1]> = {}) {
  const sizer = new AdaptiveSizer();
  simulate(sizer, { batches: 300, costAt: () => cost, seed, ...noisy, ...extra });
  return sizer.settledSize;
}

describe("AdaptiveSizer (cost model), on synthetic costs with ±10 % jitter and 10x stalls on 3 % of batches", () => {
  test("converges to the upper bound when overhead dominates, for every seed", () => {
    expect(SEEDS.map((seed) => settledOn(OVERHEAD_DOMINATES, seed))).toEqual(SEEDS.map(() => 200));
  });

  test("to the smallest size when per-record cost dominates (equal cost per record ties to the smaller)", () => {
    const quiet = new AdaptiveSizer();
    simulate(quiet, { batches: 300, costAt: () => PER_RECORD_DOMINATES });
    expect(quiet.settledSize).toBe(5);
    // Under noise the overhead (0.001 ms) cannot be told from 0.3 ms, and any of 5, 10 and 20 is within
    // 0.2 % of the lowest cost per record: the sizer lands on one of them, never on a large size.
    const best = costPerRecord(PER_RECORD_DOMINATES, 200);
    for (const seed of SEEDS) {
      const size = settledOn(PER_RECORD_DOMINATES, seed);
      expect(size).toBeLessThanOrEqual(20);
      expect(costPerRecord(PER_RECORD_DOMINATES, size)).toBeLessThanOrEqual(1.05 * best);
    }
  });

  test("in between, to the smallest size within the 5 % tie tolerance, for every seed", () => {
    expect(SEEDS.map((seed) => settledOn(IN_BETWEEN, seed))).toEqual(SEEDS.map(() => 160));
  });

  test("its fitted model is the synthetic one", () => {
    const sizer = new AdaptiveSizer();
    simulate(sizer, { batches: 300, costAt: () => IN_BETWEEN, seed: 3, ...noisy });
    expect(sizer.costModel?.overheadMs).toBeCloseTo(1, 0);
    expect(Math.abs((sizer.costModel?.perRecordMs ?? 0) / 0.1 - 1)).toBeLessThan(0.05);
  });

  test("a time from submission to result (an executor that cannot measure) gives the same decisions", () => {
    for (const [cost, expected] of [
      [OVERHEAD_DOMINATES, 200],
      [IN_BETWEEN, 160],
    ] as const) {
      expect(SEEDS.map((seed) => settledOn(cost, seed, { measure: "submit-to-result" }))).toEqual(
        SEEDS.map(() => expected),
      );
    }
  });

  for (const [name, before, after] of [
    ["per-record cost falls 1000x", PER_RECORD_DOMINATES, OVERHEAD_DOMINATES],
    ["per-record cost rises 100x", OVERHEAD_DOMINATES, IN_BETWEEN],
  ] as const) {
    test(`re-converges after a step change (${name}): within 5 % of the new best within 50 batches`, () => {
      const change = 400;
      for (const seed of SEEDS) {
        const sizer = new AdaptiveSizer();
        const batches = simulate(sizer, {
          batches: 800,
          costAt: (index) => (index < change ? before : after),
          seed,
          jitter: 0.1,
        });
        const best = Math.min(...[5, 10, 20, 40, 80, 160, 200].map((size) => costPerRecord(after, size)));
        // From 50 batches after the change on, every base round is within 5 % of the new best (a probe
        // round now and then looks at a neighbour on purpose).
        const settled = sizer.history.filter((s) => s.batchIndex >= change + 50 && s.round === "base");
        expect(settled.length).toBeGreaterThan(200);
        for (const sample of settled) expect(costPerRecord(after, sample.batchSize)).toBeLessThanOrEqual(1.05 * best);
        expect(batches.length).toBe(800 - 3);
      }
    });
  }
});

describe("AdaptiveSizer's measurement", () => {
  test("batches timed at 0 ms (a coarse clock) never make it ask for a size outside [min, max]", () => {
    for (const measure of ["own-cost", "submit-to-result"] as const) {
      const sizer = new AdaptiveSizer();
      sizer.start({ capacity: 4 });
      for (let i = 0; i < 400; i++) {
        sizer.completed(sizer.cut(sizer.size), { latencyMs: 0, durationMs: i % 3 === 0 ? -1 : 0, measure });
        expect(Number.isInteger(sizer.size) && sizer.size >= 5 && sizer.size <= 200).toBe(true);
      }
    }
  });

  test("after a change of size, batches that queued behind the old size are recorded only when they measure their own cost", () => {
    for (const measure of ["own-cost", "submit-to-result"] as const) {
      const sizer = new AdaptiveSizer({ reevaluateEvery: 1, initialBatchSize: 10 });
      sizer.start({ capacity: 4 });
      const timing: BatchTiming = { latencyMs: 1, durationMs: 1, measure };
      sizer.completed(sizer.cut(10), timing); // ends the first round: the next size is 200
      expect(sizer.size).toBe(200);
      const tickets = [sizer.cut(200), sizer.cut(200), sizer.cut(200), sizer.cut(200)];
      for (const ticket of tickets.slice(0, 3)) sizer.completed(ticket, timing);
      const recorded200 = sizer.monitor.history().filter((s) => s.batchSize === 200).length;
      // Its own cost is its own whatever was ahead of it; a time that includes waiting is not.
      expect(recorded200).toBe(measure === "own-cost" ? 3 : 0);
      expect(sizer.history.every((s) => s.measure === measure)).toBe(true);
    }
  });

  test("a partial batch is kept in its history but never recorded", () => {
    const sizer = new AdaptiveSizer({ reevaluateEvery: 1 });
    sizer.start({ capacity: 1 });
    sizer.completed(sizer.cut(3), ownCost(0.001));
    expect(sizer.monitor.history()).toEqual([]);
    expect(sizer.history).toHaveLength(1);
    expect(sizer.size).toBe(10);
  });
});

describe("AdaptiveSizer with targetBatchLatencyMs (AIMD)", () => {
  /** A heavy-ish kernel: batch latency ≈ 2 × (0.5 ms + size × 0.05 ms), so 10 ms allows about 80 records. */
  const HEAVY: SyntheticCost = { overheadMs: 0.5, perRecordMs: 0.05 };
  const TARGET_MS = 10;
  const p99 = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? 0;
  const recordsPerMs = (batches: readonly SimulatedBatch[]) =>
    batches.reduce((n, b) => n + b.size, 0) / batches.reduce((ms, b) => ms + b.costMs, 0);

  test("holds the batch latency's p99 under the target, at ≥ 0.9 × the throughput of the best fixed size that does", () => {
    for (const seed of SEEDS.slice(0, 5)) {
      const run = (sizer: AdaptiveSizer | ReturnType<typeof fixedSize>) =>
        simulate(sizer, { batches: 1500, costAt: () => HEAVY, seed, jitter: 0.1 }).slice(300);
      let bestFixed: SimulatedBatch[] | undefined;
      for (let size = 5; size <= 200; size++) {
        const batches = run(fixedSize(size));
        if (p99(batches.map((b) => b.latencyMs)) <= TARGET_MS) bestFixed = batches;
      }
      const adaptive = run(new AdaptiveSizer({ targetBatchLatencyMs: TARGET_MS }));
      expect(p99(adaptive.map((b) => b.latencyMs))).toBeLessThanOrEqual(TARGET_MS);
      expect(recordsPerMs(adaptive)).toBeGreaterThanOrEqual(0.9 * recordsPerMs(bestFixed ?? []));
    }
  });

  test("re-converges when the cost per record doubles mid-run", () => {
    const sizer = new AdaptiveSizer({ targetBatchLatencyMs: TARGET_MS });
    const doubled = { ...HEAVY, perRecordMs: 0.1 };
    const batches = simulate(sizer, {
      batches: 1500,
      costAt: (i) => (i < 700 ? HEAVY : doubled),
      seed: 9,
      jitter: 0.1,
    });
    const before = batches.filter((b) => b.index >= 300 && b.index < 700);
    const after = batches.filter((b) => b.index >= 800);
    expect(p99(before.map((b) => b.latencyMs))).toBeLessThanOrEqual(TARGET_MS);
    expect(p99(after.map((b) => b.latencyMs))).toBeLessThanOrEqual(TARGET_MS);
    // Half the records per batch now fit: the size went down accordingly.
    const meanSize = (bs: readonly SimulatedBatch[]) => bs.reduce((n, b) => n + b.size, 0) / bs.length;
    expect(meanSize(after)).toBeLessThan(0.7 * meanSize(before));
    expect(sizer.strategy).toBe("latency-target");
  });

  test("a target no size can meet settles at the smallest size", () => {
    const sizer = new AdaptiveSizer({ targetBatchLatencyMs: 0.5 });
    simulate(sizer, { batches: 300, costAt: () => HEAVY, seed: 1 });
    expect(sizer.size).toBe(5);
  });
});

describe("AdaptiveSizer options", () => {
  test("every bad value is an InvalidArgumentError naming the option", () => {
    const badIntegers = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31];
    for (const value of badIntegers) {
      for (const name of ["minBatchSize", "initialBatchSize", "reevaluateEvery", "historyLimit", "increaseStep"]) {
        expect(() => new AdaptiveSizer({ [name]: value, targetBatchLatencyMs: 5 })).toThrow(name);
      }
      expect(() => new AdaptiveSizer({ fitSamplesPerSize: value })).toThrow("fitSamplesPerSize");
    }
    for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => new AdaptiveSizer({ targetBatchLatencyMs: value })).toThrow("targetBatchLatencyMs");
    }
    for (const value of [0, 1, -0.5, Number.NaN]) {
      expect(() => new AdaptiveSizer({ targetBatchLatencyMs: 5, decreaseFactor: value })).toThrow("decreaseFactor");
    }
    for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new AdaptiveSizer({ driftTolerance: value })).toThrow("driftTolerance");
    }
    expect(() => new AdaptiveSizer({ strategy: "fastest" as never })).toThrow(InvalidArgumentError);
    expect(() => new AdaptiveSizer({ minBatchSize: 10, maxBatchSize: 5 })).toThrow("maxBatchSize");
    expect(() => new AdaptiveSizer({ stepFactor: 1 })).toThrow("stepFactor");
  });
});
