import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, StorageError } from "@poolstream/core";
import { WorkerPool } from "@poolstream/pool";
import fc from "fast-check";
import { DeadLetterLog } from "../src/dead-letter-log.ts";
import { type FaultCounters, FaultTolerantBatchProcessor } from "../src/fault-tolerant-batch-processor.ts";
import { generateFaultyRecords } from "../src/faulty-records.ts";
import { faultyKernel } from "./fixtures/faulty-kernel.ts";

const dir = mkdtempSync(join(tmpdir(), "poolstream-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const identityHolds = (c: FaultCounters) => c.successful + c.failed + c.poisonPills + c.deadLettered === c.total;
const good = (seq: number) => ({ sensorId: "ok", seq, value: seq % 100, timestamp: 0, createdAt: 0 });
const cue = (sensorId: string, seq: number, once?: string) => ({ ...good(seq), sensorId, ...(once ? { once } : {}) });

async function withPools<T>(
  run: (pools: { pool: WorkerPool; recoveryPool: WorkerPool; log: DeadLetterLog }) => Promise<T>,
) {
  await using pool = new WorkerPool({ size: 2, name: "main" });
  await using recoveryPool = new WorkerPool({ size: 1, name: "recovery" });
  using log = new DeadLetterLog();
  return await run({ pool, recoveryPool, log });
}

describe("FaultTolerantBatchProcessor (real Workers)", () => {
  test("bad records become error records and poison pills; the rest are results", async () => {
    await withPools(async ({ pool, recoveryPool, log }) => {
      const records = [good(0), { ...good(1), value: Number.NaN }, { ...good(2), value: "7" }, 42, good(4)];
      const processor = new FaultTolerantBatchProcessor({
        pool,
        recoveryPool,
        deadLetterLog: log,
        batchSize: 2,
        log: () => {},
      });
      const outcome = await processor.process(records);
      expect(outcome.counters).toMatchObject({
        total: 5,
        successful: 2,
        failed: 2,
        poisonPills: 1,
        workerCrashes: 0,
        deadLettered: 0,
      });
      expect(outcome.poisonPills[0]?.originalRecord).toEqual(records[1]);
      expect(outcome.errorRecords.map((e) => e.originalRecord)).toEqual([records[2], 42]);
    });
  });

  test("a simulated crash is retried on the recovery pool; a second failure dead-letters the whole batch", async () => {
    await withPools(async ({ pool, recoveryPool, log }) => {
      const lines: string[] = [];
      const records = Array.from({ length: 30 }, (_, i) => good(i));
      const always = new FaultTolerantBatchProcessor({
        pool,
        recoveryPool,
        deadLetterLog: log,
        batchSize: 10,
        crashProbability: 1,
        log: (l) => lines.push(l),
      });
      const outcome = await always.process(records);
      expect(outcome.counters).toMatchObject({ successful: 0, workerCrashes: 6, recoveries: 0, deadLettered: 30 });
      expect(log.size).toBe(30);
      expect(log.entries()[0]).toMatchObject({
        errorMessage: "Error: worker crash",
        attemptCount: 2,
        errorType: "TaskFailedError",
      });
      expect(lines.some((l) => l.includes("retrying on the recovery pool"))).toBe(true);
      expect(identityHolds(outcome.counters)).toBe(true);
    });
  });

  for (const [fault, sensorId] of [
    ["process.exit in the worker", "exit"],
    ["an uncaught error thrown asynchronously in the worker", "throw-async"],
    ["a batch that hangs past the timeout", "hang"],
  ] as const) {
    test(`${fault}: recovered when the retry succeeds, dead-lettered when it fails; the other batches go on`, async () => {
      await withPools(async ({ pool, recoveryPool, log }) => {
        const once = join(dir, `${sensorId}-once`);
        // Batch 1 faults only once (recovered); batch 3 faults every time (dead-lettered).
        const records = Array.from({ length: 40 }, (_, i) =>
          i === 12 ? cue(sensorId, i, once) : i === 31 ? cue(sensorId, i) : good(i),
        );
        const processor = new FaultTolerantBatchProcessor({
          pool,
          recoveryPool,
          deadLetterLog: log,
          computeFn: faultyKernel,
          batchSize: 10,
          taskTimeoutMs: 400,
          log: () => {},
        });
        const outcome = await processor.process(records);
        expect(outcome.counters).toMatchObject({ successful: 30, deadLettered: 10, recoveries: 1, workerCrashes: 3 });
        expect(log.entries().map((e) => (e.record as { seq: number }).seq)).toEqual(
          Array.from({ length: 10 }, (_, i) => 30 + i),
        );
        expect(identityHolds(outcome.counters)).toBe(true);
        // The pool is still usable afterwards: the dead workers were replaced.
        const after = await processor.process([good(100), good(101)]);
        expect(after.counters.successful).toBe(2);
      });
    });
  }

  test("bisect: only the record that keeps failing is dead-lettered; its neighbours are recovered", async () => {
    await withPools(async ({ pool, recoveryPool, log }) => {
      const records = Array.from({ length: 16 }, (_, i) => (i === 5 ? cue("exit", i) : good(i)));
      const processor = new FaultTolerantBatchProcessor({
        pool,
        recoveryPool,
        deadLetterLog: log,
        computeFn: faultyKernel,
        batchSize: 8,
        bisect: true,
        log: () => {},
      });
      const outcome = await processor.process(records);
      expect(outcome.counters).toMatchObject({ successful: 15, deadLettered: 1 });
      expect(log.entries().map((e) => [(e.record as { seq: number }).seq, e.attemptCount])).toEqual([[5, 5]]);
      expect(identityHolds(outcome.counters)).toBe(true);
    });
  });

  test("property: successful + failed + poison pills + dead letters = total, for any seed and rates", async () => {
    await withPools(async ({ pool, recoveryPool, log }) => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 10_000 }),
          fc.double({ min: 0, max: 0.3, noNaN: true }),
          fc.double({ min: 0, max: 0.5, noNaN: true }),
          fc.integer({ min: 0, max: 300 }),
          async (seed, poisonRate, crashProbability, count) => {
            const records = generateFaultyRecords({ count, poisonRate, seed });
            const processor = new FaultTolerantBatchProcessor({
              pool,
              recoveryPool,
              deadLetterLog: log,
              batchSize: 25,
              crashProbability,
              seed,
              log: () => {},
            });
            const { counters, results, errorRecords, poisonPills } = await processor.process(records);
            expect(identityHolds(counters)).toBe(true);
            expect(counters.total).toBe(count);
            expect(results.length + errorRecords.length + poisonPills.length).toBe(count - counters.deadLettered);
          },
        ),
        { seed: 31, numRuns: 25 },
      );
    });
  });

  test("the same seed crashes the same calls", async () => {
    await withPools(async ({ pool, recoveryPool, log }) => {
      const records = generateFaultyRecords({ count: 500, seed: 4 });
      const run = () =>
        new FaultTolerantBatchProcessor({
          pool,
          recoveryPool,
          deadLetterLog: log,
          batchSize: 20,
          crashProbability: 0.3,
          seed: 77,
          log: () => {},
        }).process(records);
      const [a, b] = [await run(), await run()];
      expect(a.counters).toEqual(b.counters);
      expect(a.counters.workerCrashes).toBeGreaterThan(0);
    });
  });

  test("a dead-letter log that cannot be written stops the run with a StorageError, after the batches under way", async () => {
    await withPools(async ({ pool, recoveryPool, log }) => {
      log.close();
      const processor = new FaultTolerantBatchProcessor({
        pool,
        recoveryPool,
        deadLetterLog: log,
        batchSize: 5,
        crashProbability: 1,
        log: () => {},
      });
      await expect(processor.process(Array.from({ length: 50 }, (_, i) => good(i)))).rejects.toBeInstanceOf(
        StorageError,
      );
      expect(pool.stats()).toMatchObject({ inFlight: 0, pending: 0 });
      expect(recoveryPool.stats()).toMatchObject({ inFlight: 0, pending: 0 });
    });
  });

  test("rejects bad options", async () => {
    await withPools(async ({ pool, recoveryPool, log }) => {
      expect(() => new FaultTolerantBatchProcessor({ pool, recoveryPool, deadLetterLog: log, batchSize: 0 })).toThrow(
        InvalidArgumentError,
      );
      expect(
        () => new FaultTolerantBatchProcessor({ pool, recoveryPool, deadLetterLog: log, crashProbability: 2 }),
      ).toThrow(InvalidArgumentError);
    });
  });
});
