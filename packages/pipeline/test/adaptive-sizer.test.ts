import { describe, expect, test } from "bun:test";
import { AdaptiveSizer } from "@poolstream/batching";
import {
  type BatchSizer,
  type BatchTiming,
  defineKernel,
  InvalidArgumentError,
  ManualClock,
  objectTransport,
} from "@poolstream/core";
import { pipeline } from "../src/pipeline.ts";
import { driveClock, SimulatedExecutor } from "./fixtures/simulated-executor.ts";

export const doubleAll = defineKernel(import.meta.url, "doubleAll", (batch: readonly number[]) =>
  batch.map((x) => x * 2),
);

const ownCost = (durationMs: number): BatchTiming => ({ latencyMs: durationMs, durationMs, measure: "own-cost" });

const inputs = (n: number) => Array.from({ length: n }, (_, i) => i);

function runsOfEqualSize(sizes: number[]): number[] {
  const runs: number[] = [];
  let length = 0;
  sizes.forEach((size, i) => {
    if (i > 0 && size !== sizes[i - 1]) {
      runs.push(length);
      length = 0;
    }
    length++;
  });
  if (length > 0) runs.push(length);
  return runs;
}

/** Runs `count` numbers through a pipeline with `sizer` on a simulated cost model; returns the outputs in order. */
async function runOnModel(sizer: AdaptiveSizer, cost: { overheadMs: number; perRecordMs: number }, count: number) {
  const clock = new ManualClock();
  const executor = new SimulatedExecutor(clock, cost);
  const out: number[] = [];
  const p = pipeline<number, number>({
    source: inputs(count),
    executor,
    transport: objectTransport(doubleAll),
    sizer,
    clock,
    sinks: [{ write: (batch) => void out.push(...Array.from(batch.results)), close: () => {} }],
  });
  const report = await driveClock(clock, p.run(), 1);
  return { out, report };
}

describe("what the pipeline tells its sizer", () => {
  /** A fixed size that remembers every timing it was given. */
  function recordingSizer(size: number) {
    const timings: BatchTiming[] = [];
    const sizer: BatchSizer = { name: "recording", size, cut: () => undefined, completed: (_, t) => timings.push(t) };
    return { sizer, timings };
  }

  for (const measures of [true, false]) {
    test(`each batch's ${measures ? "own cost, when the executor measures it" : "submission-to-result time, when it cannot"}`, async () => {
      const clock = new ManualClock();
      const cost = { overheadMs: 2, perRecordMs: 0.1 };
      const executor = new SimulatedExecutor(clock, cost, { measures });
      const { sizer, timings } = recordingSizer(10);
      const events: { durationMs: number; costMs: number | undefined }[] = [];
      const p = pipeline<number, number>({
        source: inputs(200),
        executor,
        transport: objectTransport(doubleAll),
        sizer,
        clock,
      });
      p.on("batch-completed", (e) => events.push(e));
      await driveClock(clock, p.run(), 0.25);
      expect(timings).toHaveLength(20);
      for (const [i, timing] of timings.entries()) {
        expect(timing.measure).toBe(measures ? "own-cost" : "submit-to-result");
        // 4 batches outstanding on 2 workers: most of them waited for one ahead of them.
        expect(timing.latencyMs).toBeGreaterThanOrEqual(3 - 1e-9);
        if (measures) {
          // The modelled 3 ms, plus the real microseconds the transport took to encode and decode.
          expect(timing.durationMs).toBeGreaterThanOrEqual(3);
          expect(timing.durationMs).toBeLessThan(3.5);
          expect(events[i]?.costMs).toBe(timing.durationMs);
        } else {
          expect(timing.durationMs).toBe(timing.latencyMs);
          expect(events[i]?.costMs).toBeUndefined();
        }
        expect(events[i]?.durationMs).toBe(timing.latencyMs);
      }
      expect(timings.some((t) => t.latencyMs >= 5.9)).toBe(true); // the wait is in the latency, not the cost
    });
  }
});

describe("AdaptiveSizer in a pipeline, on a synthetic cost model (ManualClock, no wall time)", () => {
  test("climbs to the upper bound when the per-batch overhead dominates", async () => {
    const sizer = new AdaptiveSizer();
    const { out, report } = await runOnModel(sizer, { overheadMs: 10, perRecordMs: 0.001 }, 20_000);
    expect(out).toEqual(inputs(20_000).map((x) => x * 2));
    expect(sizer.settledSize).toBe(200);
    const sizes = sizer.history.map((s) => s.batchSize);
    expect(Math.max(...sizes)).toBe(200);
    expect(sizes.slice(0, -1).every((s) => s >= 5 && s <= 200)).toBe(true);
    expect(report.sizeHistory[0]).toEqual({ batch: 0, size: 10 });
    expect(report.sizeHistory.at(-1)?.size).toBe(sizer.size);
  });

  test("settles small when the per-record cost dominates (equal cost per record ties to the smallest)", async () => {
    const sizer = new AdaptiveSizer();
    await runOnModel(sizer, { overheadMs: 0.001, perRecordMs: 1 }, 8_000);
    expect(sizer.settledSize).toBe(5);
    const tail = sizer.history.slice(-40).map((s) => s.batchSize);
    expect(tail.filter((s) => s === 5).length).toBeGreaterThan(tail.length / 2);
  });

  test("re-evaluates only after a round of 5 batches, and clamps to [min, max]", async () => {
    const sizer = new AdaptiveSizer({ initialBatchSize: 7, minBatchSize: 6, maxBatchSize: 50 });
    await runOnModel(sizer, { overheadMs: 10, perRecordMs: 0.001 }, 5_000);
    const sizes = sizer.history.map((s) => s.batchSize);
    const full = sizes.slice(0, -1);
    expect(full.every((s) => s >= 6 && s <= 50)).toBe(true);
    expect(sizes).toContain(50);
    // In the order batches were cut, every size is held for at least one round of 5 (the last may be cut short).
    expect(
      runsOfEqualSize(full)
        .slice(0, -1)
        .every((run) => run >= 5),
    ).toBe(true);
    expect([...sizer.history].sort((a, b) => a.batchIndex - b.batchIndex).map((s) => s.batchIndex)).toEqual(
      sizes.map((_, i) => i),
    );
  });

  test("a partial batch is measured but not recorded: it cannot pass for the cost of its size", () => {
    const sizer = new AdaptiveSizer({ initialBatchSize: 10, reevaluateEvery: 1 });
    sizer.start({ capacity: 1 });
    const partial = sizer.cut(3);
    sizer.completed(partial, ownCost(0.001));
    expect(sizer.monitor.history()).toEqual([]);
    expect(sizer.size).toBe(10);
    const full = sizer.cut(10);
    sizer.completed(full, ownCost(10));
    expect(sizer.monitor.history()).toEqual([{ batchSize: 10, durationMs: 10 }]);
    expect(sizer.size).toBe(200); // one round of one batch, then a probe at the far end for a first fit
  });

  test("its history is bounded: memory stays flat however long it runs", () => {
    const sizer = new AdaptiveSizer({ historyLimit: 100 });
    sizer.start({ capacity: 4 });
    for (let i = 0; i < 1000; i++) sizer.completed(sizer.cut(sizer.size), ownCost(1));
    expect(sizer.history.length).toBeLessThanOrEqual(100);
    expect(sizer.history.at(-1)?.batchIndex).toBe(999);
  });

  test("rejects bad options", () => {
    const bad = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31];
    for (const value of bad) {
      expect(() => new AdaptiveSizer({ minBatchSize: value })).toThrow(InvalidArgumentError);
      expect(() => new AdaptiveSizer({ initialBatchSize: value })).toThrow(InvalidArgumentError);
      expect(() => new AdaptiveSizer({ reevaluateEvery: value })).toThrow(InvalidArgumentError);
      expect(() => new AdaptiveSizer({ historyLimit: value })).toThrow(InvalidArgumentError);
    }
    expect(() => new AdaptiveSizer({ minBatchSize: 10, maxBatchSize: 5 })).toThrow(InvalidArgumentError);
    expect(() => new AdaptiveSizer({ stepFactor: 1 })).toThrow(InvalidArgumentError);
    expect(() => new AdaptiveSizer({ stepFactor: Number.POSITIVE_INFINITY })).toThrow(InvalidArgumentError);
  });
});
