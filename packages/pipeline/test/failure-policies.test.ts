import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  fixedSize,
  InProcessExecutor,
  InvalidArgumentError,
  objectTransport,
  PipelineFailedError,
  type SensorRecord,
  StorageError,
  TaskTimeoutError,
  WorkerCrashedError,
} from "@poolstream/core";
import {
  collectFailures,
  DeadLetterLog,
  failFast,
  faultTolerantTransport,
  recoverThenDeadLetter,
  withSimulatedCrashes,
} from "@poolstream/faults";
import { WorkerPool } from "@poolstream/pool";
import { pipeline } from "../src/pipeline.ts";
import type { PipelineReport } from "../src/pipeline-report.ts";
import { faultyKernel } from "./fixtures/faulty-kernel.ts";

const dir = mkdtempSync(join(tmpdir(), "poolstream-policies-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = (seq: number): SensorRecord => ({ sensorId: "ok", seq, value: seq % 100, timestamp: 0, createdAt: 0 });
const cue = (sensorId: string, seq: number, once?: string) => ({ ...good(seq), sensorId, ...(once ? { once } : {}) });
const goods = (n: number) => Array.from({ length: n }, (_, i) => good(i));

async function withPools<T>(
  run: (pools: { pool: WorkerPool; recovery: WorkerPool; log: DeadLetterLog }) => Promise<T>,
) {
  await using pool = new WorkerPool({ size: 2, name: "main" });
  await using recovery = new WorkerPool({ size: 1, name: "recovery" });
  using log = new DeadLetterLog();
  return await run({ pool, recovery, log });
}

describe("failure policies in the pipeline (real Workers)", () => {
  test("collect: a failed batch's records come back as error records and the run goes on", async () => {
    await withPools(async ({ pool }) => {
      const executor = withSimulatedCrashes(pool, { probability: 0.5, seed: 3 });
      const report = await pipeline({
        source: goods(200),
        executor,
        transport: faultTolerantTransport("columnar"),
        sizer: fixedSize(10),
        failurePolicy: collectFailures(),
      }).run();
      expect(executor.simulatedCrashes).toBeGreaterThan(0);
      expect(report.accounting.errorRecords).toBe(executor.simulatedCrashes * 10);
      expect(report.accounting).toMatchObject({ entered: 200, deadLetters: 0, holds: true });
      expect(report.counters.failedCalls).toBe(executor.simulatedCrashes);
    });
  });

  test("fail fast as a policy stops at the first failed batch", async () => {
    await withPools(async ({ pool }) => {
      const outcome = await pipeline({
        source: goods(500),
        executor: withSimulatedCrashes(pool, { probability: 1 }),
        transport: faultTolerantTransport("columnar"),
        sizer: fixedSize(10),
        failurePolicy: failFast(),
      })
        .run()
        .catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(PipelineFailedError);
      const { report, cause } = outcome as PipelineFailedError<PipelineReport>;
      expect(cause).toBeInstanceOf(WorkerCrashedError);
      expect(report.accounting.holds).toBe(true);
      expect(report.accounting.results).toBe(0);
      // Cutting stopped at the failure: the rest of the array never entered the pipeline.
      expect(report.accounting.entered).toBeLessThan(500);
      expect(report.accounting.errorRecords).toBe(report.accounting.entered);
    });
  });

  test("recover then dead-letter: a retry that fails too dead-letters the batch with its attempts", async () => {
    await withPools(async ({ pool, recovery, log }) => {
      const failures: string[] = [];
      const p = pipeline({
        source: goods(30),
        executor: withSimulatedCrashes(pool, { probability: 1 }),
        transport: faultTolerantTransport("columnar"),
        sizer: fixedSize(10),
        failurePolicy: recoverThenDeadLetter({
          recoveryExecutor: withSimulatedCrashes(recovery, { probability: 1, name: "recovery" }),
          deadLetterLog: log,
        }),
      });
      p.on("batch-failed", (e) => failures.push(`${e.attempts}:${e.next}`));
      const report = await p.run();
      expect(report.accounting).toMatchObject({ entered: 30, results: 0, deadLetters: 30, holds: true });
      expect(report.counters).toMatchObject({ failedCalls: 6, recoveries: 0 });
      expect(log.size).toBe(30);
      expect(log.entries()[0]).toMatchObject({ errorType: "WorkerCrashedError", attemptCount: 2 });
      expect(failures.filter((f) => f === "1:retry")).toHaveLength(3);
      expect(failures.filter((f) => f === "2:dead-letter")).toHaveLength(3);
    });
  });

  for (const [fault, sensorId, errorType] of [
    ["process.exit in the worker", "exit", WorkerCrashedError],
    ["an uncaught error thrown asynchronously in the worker", "throw-async", WorkerCrashedError],
    ["a batch that hangs past the timeout", "hang", TaskTimeoutError],
  ] as const) {
    test(`${fault}: recovered when the retry succeeds, dead-lettered when it fails; the rest goes on`, async () => {
      await withPools(async ({ pool, recovery, log }) => {
        const once = join(dir, `${sensorId}-once`);
        // Batch 1 faults only once (recovered); batch 3 faults every time (dead-lettered).
        const records = Array.from({ length: 40 }, (_, i) =>
          i === 12 ? cue(sensorId, i, once) : i === 31 ? cue(sensorId, i) : good(i),
        );
        const report = await pipeline<unknown>({
          source: records,
          executor: pool,
          transport: objectTransport(faultyKernel),
          sizer: fixedSize(10),
          taskTimeoutMs: 400,
          failurePolicy: recoverThenDeadLetter({ recoveryExecutor: recovery, deadLetterLog: log }),
        }).run();
        expect(report.accounting).toMatchObject({ results: 30, deadLetters: 10, holds: true });
        if (errorType === WorkerCrashedError) {
          // The pool itself runs a task once more when its worker dies under it: the batch that faults
          // once never reaches the policy; the one that faults every time does, after two deaths.
          expect(report.counters).toMatchObject({ recoveries: 0, failedCalls: 2 });
          expect(pool.stats().interrupted).toBe(2);
        } else {
          expect(report.counters).toMatchObject({ recoveries: 1, failedCalls: 3 });
        }
        expect(log.entries().map((e) => (e.record as { seq: number }).seq)).toEqual(
          Array.from({ length: 10 }, (_, i) => 30 + i),
        );
        expect(log.entries()[0]?.errorType).toBe(errorType.name);
        // The pool is still usable afterwards: the dead workers were replaced.
        const after = await pipeline({
          source: goods(2),
          executor: pool,
          transport: objectTransport(faultyKernel),
        }).run();
        expect(after.accounting.results).toBe(2);
      });
    });
  }

  test("bisect: only the record that keeps failing is dead-lettered; its neighbours are recovered", async () => {
    await withPools(async ({ pool, recovery, log }) => {
      const records = Array.from({ length: 16 }, (_, i) => (i === 5 ? cue("exit", i) : good(i)));
      const report = await pipeline<unknown>({
        source: records,
        executor: pool,
        transport: objectTransport(faultyKernel),
        sizer: fixedSize(8),
        failurePolicy: recoverThenDeadLetter({ recoveryExecutor: recovery, deadLetterLog: log, bisect: true }),
      }).run();
      expect(report.accounting).toMatchObject({ results: 15, deadLetters: 1, holds: true });
      // 8 → retried (2) → 4 (3) → 2 (4) → 1 (5): the attempts are bounded and recorded.
      expect(log.entries().map((e) => [(e.record as { seq: number }).seq, e.attemptCount])).toEqual([[5, 5]]);
    });
  });

  test("hostile records on the objects transport: each is dead-lettered with its reason, its neighbours computed", async () => {
    await withPools(async ({ pool, recovery, log }) => {
      const cyclic: Record<string, unknown> = { ...good(10) };
      cyclic.self = cyclic;
      const hostile: Record<number, unknown> = {
        3: Object.defineProperty({ ...good(3) }, "extra", {
          enumerable: true,
          get() {
            throw new Error("getter exploded");
          },
        }),
        6: { ...good(6), callback: () => 1 },
        9: { ...good(9), tag: Symbol("x") },
        10: cyclic, // structured clone keeps cycles: a valid record
        13: new Proxy(good(13), {}),
      };
      const records = Array.from({ length: 16 }, (_, i) => hostile[i] ?? good(i));
      const report = await pipeline<unknown>({
        source: records,
        executor: pool,
        transport: faultTolerantTransport("objects"),
        sizer: fixedSize(8),
        failurePolicy: recoverThenDeadLetter({ recoveryExecutor: recovery, deadLetterLog: log, bisect: true }),
      }).run();
      expect(report.accounting).toMatchObject({ entered: 16, results: 12, deadLetters: 4, holds: true });
      const entries = log.entries();
      expect(entries.map((e) => (e.record as { seq: number }).seq).sort((a, b) => a - b)).toEqual([3, 6, 9, 13]);
      for (const entry of entries) expect(entry.errorMessage).toContain("could not be sent to a worker");
      // What the store cannot keep is described, never {}: the function, the symbol, the getter's error.
      const bySeq = new Map(
        entries.map((e) => [(e.record as { seq: number }).seq, e.record as Record<string, unknown>]),
      );
      expect(bySeq.get(3)?.extra).toEqual({
        unstorable: "unreadable",
        description: 'reading "extra" threw: getter exploded',
      });
      expect(bySeq.get(6)?.callback).toMatchObject({ unstorable: "function" });
      expect(bySeq.get(9)?.tag).toEqual({ unstorable: "symbol", description: "Symbol(x)" });
      expect(bySeq.get(13)).toMatchObject({ sensorId: "ok", seq: 13 });
    });
  });

  test("sinks see every record once, as the record the source made: a result, a failure or a dead letter", async () => {
    await withPools(async ({ pool, recovery, log }) => {
      const records: unknown[] = Array.from({ length: 60 }, (_, i) => good(i));
      records[7] = { ...good(7), value: Number.NaN }; // a poison pill
      records[21] = { ...good(21), value: "x" }; // an error record
      records[40] = { ...good(40), callback: () => 1 }; // cannot be sent: a dead letter
      const seen = new Map<unknown, string[]>();
      const note = (record: unknown, as: string) => seen.set(record, [...(seen.get(record) ?? []), as]);
      const report = await pipeline<unknown>({
        source: records,
        executor: pool,
        transport: faultTolerantTransport("objects"),
        sizer: fixedSize(8),
        failurePolicy: recoverThenDeadLetter({ recoveryExecutor: recovery, deadLetterLog: log, bisect: true }),
        sinks: [
          {
            write(batch) {
              for (const record of batch.records) note(record, "result");
              for (let i = 0; i < batch.failedRecords.length; i++) {
                note(batch.failedRecords[i], batch.failures[i]?.status ?? "?");
              }
              for (const record of batch.deadLettered) note(record, "dead letter");
            },
            close() {},
          },
        ],
      }).run();
      expect(report.accounting).toMatchObject({
        entered: 60,
        results: 57,
        poisonPills: 1,
        errorRecords: 1,
        deadLetters: 1,
      });
      // Looked up by the very objects the source gave: each once, where it belongs.
      expect(records.map((record) => seen.get(record)?.join(",") ?? "nowhere")).toEqual(
        records.map((_, i) => (i === 7 ? "POISON_PILL" : i === 21 ? "FAILED" : i === 40 ? "dead letter" : "result")),
      );
    });
  });

  test("a dead-letter log closed under the pipeline stops it with StorageError; nothing is left running", async () => {
    await withPools(async ({ pool, recovery, log }) => {
      log.close();
      const outcome = await pipeline({
        source: goods(50),
        executor: withSimulatedCrashes(pool, { probability: 1 }),
        transport: faultTolerantTransport("columnar"),
        sizer: fixedSize(5),
        failurePolicy: recoverThenDeadLetter({
          recoveryExecutor: withSimulatedCrashes(recovery, { probability: 1 }),
          deadLetterLog: log,
        }),
      })
        .run()
        .catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(PipelineFailedError);
      const { cause, report } = outcome as PipelineFailedError<PipelineReport>;
      expect(cause).toBeInstanceOf(StorageError);
      expect(report.accounting.holds).toBe(true);
      expect(report.accounting.deadLetters).toBe(0);
      expect(report.inFlight).toBe(0);
      expect(pool.stats()).toMatchObject({ inFlight: 0, pending: 0 });
      expect(recovery.stats()).toMatchObject({ inFlight: 0, pending: 0 });
    });
  });

  test("the policies validate their options", async () => {
    await withPools(async ({ recovery, log }) => {
      for (const maxAttempts of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
        expect(() => recoverThenDeadLetter({ recoveryExecutor: recovery, deadLetterLog: log, maxAttempts })).toThrow(
          InvalidArgumentError,
        );
      }
      expect(() => recoverThenDeadLetter({ recoveryExecutor: {} as never, deadLetterLog: log })).toThrow(
        InvalidArgumentError,
      );
      for (const probability of [-0.1, 1.1, Number.NaN]) {
        expect(() => withSimulatedCrashes(recovery, { probability })).toThrow(InvalidArgumentError);
      }
    });
  });

  test("a dead-letter log that fails partway: what it committed is reported as dead letters, the rest as not written", async () => {
    class FailingSecondWrite extends DeadLetterLog {
      #writes = 0;
      override addMany(records: readonly unknown[], error: unknown, attemptCount: number) {
        if (++this.#writes === 2) throw new StorageError("disk full");
        return super.addMany(records, error, attemptCount);
      }
    }
    using log = new FailingSecondWrite();
    await using executor = new InProcessExecutor();
    const outcome = await pipeline({
      source: goods(4),
      executor: withSimulatedCrashes(executor, { probability: 1 }),
      transport: faultTolerantTransport("columnar"),
      sizer: fixedSize(4),
      failurePolicy: recoverThenDeadLetter({
        recoveryExecutor: withSimulatedCrashes(executor, { probability: 1, seed: 2 }),
        deadLetterLog: log,
        bisect: true,
        maxAttempts: 3,
      }),
    })
      .run()
      .catch((e: unknown) => e);
    const { cause, report } = outcome as PipelineFailedError<PipelineReport>;
    expect(cause).toBeInstanceOf(StorageError);
    expect(log.size).toBe(2); // the first half was committed before the log failed
    expect(report.accounting).toMatchObject({ entered: 4, deadLetters: 2, unwritten: 2, holds: true });
  });
});
