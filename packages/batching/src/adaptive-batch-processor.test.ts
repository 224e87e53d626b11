import { describe, expect, test } from "bun:test";
import { defineKernel, InvalidArgumentError, ManualClock } from "@poolstream/core";
import { driveClock, SimulatedExecutor } from "../test/fixtures/simulated-executor.ts";
import { AdaptiveBatchProcessor } from "./adaptive-batch-processor.ts";

export const doubleAll = defineKernel(import.meta.url, "doubleAll", (batch: readonly number[]) =>
  batch.map((x) => x * 2),
);
const failOnSeven = defineKernel(import.meta.url, "failOnSeven", (batch: readonly number[]) => {
  if (batch.includes(7)) throw new Error("seven");
  return batch;
});

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

describe("AdaptiveBatchProcessor on a synthetic cost model (ManualClock, no wall time)", () => {
  test("climbs to the upper bound when the per-batch overhead dominates", async () => {
    const clock = new ManualClock();
    const pool = new SimulatedExecutor(clock, { overheadMs: 10, perRecordMs: 0.001 });
    const processor = new AdaptiveBatchProcessor({ pool, computeFn: doubleAll, clock });
    const out = await driveClock(clock, processor.process(inputs(20_000)), 1);
    expect(out).toEqual(inputs(20_000).map((x) => x * 2));
    expect(processor.lastRun?.finalBatchSize).toBe(200);
    const sizes = processor.batchSizeHistory.map((s) => s.batchSize);
    expect(Math.max(...sizes)).toBe(200);
    expect(sizes.slice(0, -1).every((s) => s >= 5 && s <= 200)).toBe(true);
  });

  test("settles small when the per-record cost dominates (equal cost per record ties to the smallest)", async () => {
    const clock = new ManualClock();
    const pool = new SimulatedExecutor(clock, { overheadMs: 0.001, perRecordMs: 1 });
    const processor = new AdaptiveBatchProcessor({ pool, computeFn: doubleAll, clock });
    await driveClock(clock, processor.process(inputs(3_000)), 1);
    expect(processor.lastRun?.finalBatchSize).toBe(5);
    const tail = processor.batchSizeHistory.slice(-40).map((s) => s.batchSize);
    expect(tail.filter((s) => s === 5).length).toBeGreaterThan(tail.length / 2);
  });

  test("re-evaluates only after a round of 5 batches, and clamps to [min, max]", async () => {
    const clock = new ManualClock();
    const pool = new SimulatedExecutor(clock, { overheadMs: 10, perRecordMs: 0.001 });
    const processor = new AdaptiveBatchProcessor({
      pool,
      computeFn: doubleAll,
      clock,
      initialBatchSize: 7,
      minBatchSize: 6,
      maxBatchSize: 50,
    });
    await driveClock(clock, processor.process(inputs(5_000)), 1);
    const sizes = processor.batchSizeHistory.map((s) => s.batchSize);
    const full = sizes.slice(0, -1);
    expect(full.every((s) => s >= 6 && s <= 50)).toBe(true);
    expect(sizes).toContain(50);
    // In the order batches were cut, every size is held for at least one round of 5 (the last may be cut short by the input).
    expect(
      runsOfEqualSize(full)
        .slice(0, -1)
        .every((run) => run >= 5),
    ).toBe(true);
    expect(processor.batchSizeHistory.map((s) => s.batchIndex)).toEqual(sizes.map((_, i) => i));
  });

  test("outputs come back in input order for async iterables too, and the run is measured", async () => {
    const clock = new ManualClock();
    const pool = new SimulatedExecutor(clock, { overheadMs: 1, perRecordMs: 0.01 });
    const processor = new AdaptiveBatchProcessor({ pool, computeFn: doubleAll, clock });
    async function* source() {
      for (let i = 0; i < 777; i++) yield i;
    }
    const out = await driveClock(clock, processor.process(source()));
    expect(out).toEqual(inputs(777).map((x) => x * 2));
    expect(processor.lastRun?.records).toBe(777);
    expect(processor.throughput).toBeGreaterThan(0);
  });

  test("a failing batch stops submission and its error is thrown after the rest return", async () => {
    const clock = new ManualClock();
    const pool = new SimulatedExecutor(clock, { overheadMs: 1, perRecordMs: 0.01 });
    const processor = new AdaptiveBatchProcessor({ pool, computeFn: failOnSeven, clock, initialBatchSize: 5 });
    const outcome = await driveClock(
      clock,
      processor.process(inputs(1000)).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect((outcome as Error).message).toBe("seven");
    expect(pool.stats().inFlight).toBe(0);
  });

  test("rejects bad options", () => {
    const pool = new SimulatedExecutor(new ManualClock(), { overheadMs: 1, perRecordMs: 1 });
    expect(() => new AdaptiveBatchProcessor({ pool, computeFn: doubleAll, minBatchSize: 0 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new AdaptiveBatchProcessor({ pool, computeFn: doubleAll, minBatchSize: 10, maxBatchSize: 5 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new AdaptiveBatchProcessor({ pool, computeFn: doubleAll, reevaluateEvery: 0 })).toThrow(
      InvalidArgumentError,
    );
  });
});
