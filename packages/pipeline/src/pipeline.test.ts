import { describe, expect, test } from "bun:test";
import {
  BoundedQueue,
  columnarTransport,
  defineKernel,
  type Executor,
  errorRecordOf,
  type FailurePolicy,
  fifoLane,
  fixedSize,
  InProcessExecutor,
  InvalidArgumentError,
  ManualClock,
  objectTransport,
  PipelineFailedError,
  type RecordFailure,
  type Sink,
  type SinkBatch,
  SinkError,
  type Source,
  SourceFailedError,
} from "@poolstream/core";
import {
  type Doubled,
  doubleColumns,
  doubleReadings,
  dropsOne,
  type Reading,
  readingSchema,
  slowEcho,
} from "../test/fixtures/kernels.ts";
import { pipeline } from "./pipeline.ts";
import type { PipelineReport } from "./pipeline-report.ts";

const readings = (count: number, reading: (i: number) => unknown = (i) => i): Reading[] =>
  Array.from({ length: count }, (_, i) => ({ deviceId: `d${i % 3}`, n: i, reading: reading(i), ts: 0 }));

/** A sink that keeps what it was given, in order. */
class MemorySink<Out> implements Sink<Reading, Out> {
  readonly batches: SinkBatch<Reading, Out>[] = [];
  closed = 0;
  write(batch: SinkBatch<Reading, Out>): void {
    this.batches.push(batch);
  }
  close(): void {
    this.closed++;
  }
  get results(): Out[] {
    return this.batches.flatMap((b) => Array.from(b.results));
  }
  get failures(): RecordFailure[] {
    return this.batches.flatMap((b) => b.failures);
  }
}

const identity = (report: PipelineReport) => report.accounting;

describe("pipeline: the one loop (in-process executor)", () => {
  test("every record of an array comes out once, in order, in batches of the sizer's size", async () => {
    await using executor = new InProcessExecutor();
    const sink = new MemorySink<Doubled | RecordFailure>();
    const sizes: number[] = [];
    const run = pipeline({
      source: readings(37),
      executor,
      transport: objectTransport(doubleReadings),
      sizer: fixedSize(15),
      sinks: [sink],
      schema: readingSchema,
    });
    run.on("batch-cut", (event) => sizes.push(event.size));
    const report = await run.run();
    expect(sizes).toEqual([15, 15, 7]);
    expect(sink.results.map((r) => (r as Doubled).n)).toEqual(readings(37).map((r) => r.n));
    expect(identity(report)).toMatchObject({ entered: 37, results: 37, errorRecords: 0, holds: true });
    expect(report.stopReason).toBe("input ended");
    expect(report.state).toBe("stopped");
    expect(sink.closed).toBe(1);
    expect(Object.isFrozen(report)).toBe(true);
  });

  test("error records and poison pills from the kernel are data: delivered as failures and counted", async () => {
    await using executor = new InProcessExecutor();
    const sink = new MemorySink<Doubled>();
    const values: unknown[] = [1, "x", Number.NaN, 4, null, Number.POSITIVE_INFINITY, 7];
    const report = await pipeline({
      source: readings(values.length, (i) => values[i]),
      executor,
      transport: objectTransport(doubleReadings),
      sizer: fixedSize(4),
      sinks: [sink],
      schema: readingSchema,
    }).run();
    expect(sink.results.map((r) => r.doubled)).toEqual([2, 8, 14]);
    expect(sink.failures.map((f) => f.status)).toEqual(["FAILED", "POISON_PILL", "FAILED", "POISON_PILL"]);
    expect(identity(report)).toMatchObject({ entered: 7, results: 3, errorRecords: 2, poisonPills: 2, holds: true });
  });

  test("a record type of its own through the columnar transport, read through its schema", async () => {
    await using executor = new InProcessExecutor();
    const sink = new MemorySink<number>();
    const report = await pipeline({
      source: readings(25, (i) => i * 0.5),
      executor,
      transport: columnarTransport<Reading, Float64Array>(doubleColumns, undefined, { schema: readingSchema }),
      sizer: fixedSize(10),
      sinks: [sink],
      schema: readingSchema,
    }).run();
    expect(sink.results).toEqual(readings(25).map((r) => r.n));
    expect(sink.batches[0]?.records[3]).toEqual({ deviceId: "d0", n: 3, reading: 1.5, ts: 0 });
    expect(identity(report).holds).toBe(true);
  });

  test("batches that finish out of order still reach the sinks in order", async () => {
    await using executor = new InProcessExecutor({ capacity: 4 });
    const sink = new MemorySink<Reading>();
    // The first record of each batch says how long the batch takes: the earlier batches are the slower ones.
    const source = readings(40, (i) => (i % 5 === 0 ? 40 - i : 0));
    await pipeline({
      source,
      executor,
      transport: objectTransport(slowEcho),
      sizer: fixedSize(5),
      sinks: [sink],
    }).run();
    expect(sink.results.map((r) => r.n)).toEqual(source.map((r) => r.n));
  });

  test("a partial batch is cut after maxWaitMs without a new record; the rest at the end of the input", async () => {
    const clock = new ManualClock();
    await using executor = new InProcessExecutor();
    const queue = new BoundedQueue<Reading>({ capacity: 100, clock });
    const sizes: number[] = [];
    const run = pipeline({
      source: queue,
      executor,
      transport: objectTransport(slowEcho),
      sizer: fixedSize(10),
      maxWaitMs: 100,
      clock,
    });
    run.on("batch-cut", (event) => sizes.push(event.size));
    const done = run.run();
    for (const record of readings(3, () => 0)) await queue.put(record);
    await clock.advance(50);
    expect(sizes).toEqual([]); // still quiet for less than 100 ms
    await clock.advance(60);
    expect(sizes).toEqual([3]);
    for (const record of readings(14, () => 0)) await queue.put(record);
    queue.close();
    await clock.advance(1);
    const report = await done;
    expect(sizes).toEqual([3, 10, 4]);
    expect(identity(report)).toMatchObject({ entered: 17, results: 17, holds: true });
  });

  test("fail fast (no policy): run() rejects with the report; the failed batch's records are error records", async () => {
    await using executor = new InProcessExecutor({ capacity: 1 });
    const sink = new MemorySink<Doubled>();
    const error = await pipeline({
      source: readings(100, (i) => (i === 23 ? 666 : i)),
      executor,
      transport: objectTransport(doubleReadings),
      sizer: fixedSize(10),
      sinks: [sink],
      schema: readingSchema,
    })
      .run()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineFailedError);
    const failed = error as PipelineFailedError<PipelineReport>;
    expect(failed.cause).toBeInstanceOf(Error);
    expect(String((failed.cause as Error).message)).toContain("666");
    const accounting = failed.report.accounting;
    expect(accounting.results).toBe(20);
    expect(accounting.errorRecords).toBe(10);
    expect(accounting.holds).toBe(true);
    expect(accounting.entered).toBe(accounting.results + accounting.errorRecords + accounting.leftInLanes);
    expect(failed.report.stopReason).toBe("failed");
    expect(sink.failures).toHaveLength(10);
    expect(sink.closed).toBe(1);
  });

  test("a kernel that returns the wrong number of outputs fails its batch, it does not lose records", async () => {
    await using executor = new InProcessExecutor();
    const error = (await pipeline({ source: readings(5), executor, transport: objectTransport(dropsOne) })
      .run()
      .catch((e: unknown) => e)) as PipelineFailedError<PipelineReport>;
    expect(error).toBeInstanceOf(PipelineFailedError);
    expect((error.cause as Error).message).toContain("returned 4 outputs for 5 records");
    expect(error.report.accounting).toMatchObject({ entered: 5, errorRecords: 5, holds: true });
  });

  test("a sink that throws stops the pipeline with SinkError and reports what was not written", async () => {
    await using executor = new InProcessExecutor({ capacity: 1 });
    let writes = 0;
    const failing: Sink<Reading, unknown> = {
      write: async () => {
        if (++writes === 3) throw new Error("disk full");
      },
      close: () => {},
    };
    const error = (await pipeline({
      source: readings(200),
      executor,
      transport: objectTransport(slowEcho),
      sizer: fixedSize(10),
      sinks: [failing],
    })
      .run()
      .catch((e: unknown) => e)) as PipelineFailedError<PipelineReport>;
    expect(error).toBeInstanceOf(PipelineFailedError);
    expect(error.cause).toBeInstanceOf(SinkError);
    const accounting = error.report.accounting;
    expect(accounting.results).toBe(20);
    expect(accounting.unwritten).toBeGreaterThanOrEqual(10);
    expect(accounting.holds).toBe(true);
    expect(accounting.entered).toBe(accounting.results + accounting.unwritten + accounting.leftInLanes);
  });

  test("an input that throws: what it gave is processed, then run() rejects with SourceFailedError", async () => {
    await using executor = new InProcessExecutor();
    async function* broken() {
      yield* readings(12);
      throw new Error("the file was truncated");
    }
    const error = (await pipeline({
      source: broken(),
      executor,
      transport: objectTransport(slowEcho),
      sizer: fixedSize(5),
    })
      .run()
      .catch((e: unknown) => e)) as PipelineFailedError<PipelineReport>;
    expect(error.cause).toBeInstanceOf(SourceFailedError);
    expect(error.report.accounting).toMatchObject({ entered: 12, results: 12, holds: true });
    expect(error.report.inFlight).toBe(0);
  });

  test("abort mid-run drains what was ingested, and calls return() on the input's iterator", async () => {
    await using executor = new InProcessExecutor();
    let returned = false;
    let produced = 0;
    const controller = new AbortController();
    async function* endless() {
      try {
        for (let i = 0; ; i++) {
          produced++;
          if (i === 50) controller.abort("enough");
          yield { deviceId: "d", n: i, reading: 0, ts: 0 } satisfies Reading;
          await Bun.sleep(0);
        }
      } finally {
        returned = true;
      }
    }
    const report = await pipeline({ source: endless(), executor, transport: objectTransport(slowEcho) }).run(
      controller.signal,
    );
    await Bun.sleep(5);
    expect(report.stopReason).toBe("aborted");
    expect(returned).toBe(true);
    expect(report.accounting.entered).toBeGreaterThanOrEqual(50);
    expect(report.accounting.entered).toBeLessThanOrEqual(produced);
    expect(report.accounting).toMatchObject({ holds: true, unwritten: 0, leftInLanes: 0 });
    expect(report.accounting.results).toBe(report.accounting.entered);
  });

  test("durationMs stops the input on the pipeline's clock", async () => {
    const clock = new ManualClock();
    await using executor = new InProcessExecutor();
    const queue = new BoundedQueue<Reading>({ capacity: 10, clock });
    const done = pipeline({
      source: queue,
      executor,
      transport: objectTransport(slowEcho),
      durationMs: 1000,
      clock,
    }).run();
    await queue.put({ deviceId: "d", n: 0, reading: 0, ts: 0 });
    await clock.advance(1000);
    const report = await done;
    expect(report.stopReason).toBe("duration elapsed");
    expect(report.accounting).toMatchObject({ entered: 1, results: 1, holds: true });
    expect(clock.pendingTimers).toBe(0);
  });

  test("stats() is a frozen snapshot at any moment; run() runs once; close() is idempotent", async () => {
    await using executor = new InProcessExecutor();
    const p = pipeline({ source: readings(10), executor, transport: objectTransport(slowEcho), schema: readingSchema });
    expect(p.stats()).toMatchObject({ state: "ready", inFlight: 0, batchSize: 100 });
    expect(Object.isFrozen(p.stats().lanes)).toBe(true);
    const report = await p.run();
    await expect(p.run()).rejects.toThrow(InvalidArgumentError);
    await p.close();
    await p.close();
    expect(p.stats().state).toBe("stopped");
    expect(report.lanes[0]).toMatchObject({ name: "fifo", delivered: 10, depth: 0 });
    expect(report.lanes[0]?.latencyMs.count).toBe(10);
  });

  test("a listener that throws is removed and does not break the run", async () => {
    await using executor = new InProcessExecutor();
    const p = pipeline({ source: readings(30), executor, transport: objectTransport(slowEcho), sizer: fixedSize(10) });
    let calls = 0;
    p.on("batch-completed", () => {
      calls++;
      throw new Error("listener bug");
    });
    const original = console.error;
    console.error = () => {};
    try {
      const report = await p.run();
      expect(report.accounting.results).toBe(30);
    } finally {
      console.error = original;
    }
    expect(calls).toBe(1);
  });

  test("every option is validated, durations included", async () => {
    await using executor = new InProcessExecutor();
    const base = { source: readings(1), executor, transport: objectTransport(slowEcho) };
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      for (const name of ["maxWaitMs", "durationMs", "taskTimeoutMs", "drainTimeoutMs"]) {
        expect(() => pipeline({ ...base, [name]: bad })).toThrow(InvalidArgumentError);
      }
      expect(() => pipeline({ ...base, laterSlots: bad })).toThrow(InvalidArgumentError);
      expect(() => fixedSize(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => pipeline({ ...base, source: 42 as never })).toThrow(InvalidArgumentError);
    expect(() => pipeline({ ...base, executor: {} as never })).toThrow(InvalidArgumentError);
    expect(() => pipeline({ ...base, transport: {} as never })).toThrow(InvalidArgumentError);
    expect(() => pipeline({ ...base, sinks: [{ write: () => {} } as never] })).toThrow(InvalidArgumentError);
    expect(() => pipeline({ ...base, lanes: fifoLane({ capacity: 0 }) })).toThrow(InvalidArgumentError);
  });

  test("a slow sink holds the loop back: at most capacity batches at the executor and capacity waiting to be written", async () => {
    await using executor = new InProcessExecutor({ capacity: 2 });
    const gates: (() => void)[] = [];
    let writing = 0;
    let mostAtOnce = 0;
    const slow: Sink<Reading, unknown> = {
      write: () =>
        new Promise<void>((resolve) => {
          writing++;
          mostAtOnce = Math.max(mostAtOnce, writing);
          gates.push(() => {
            writing--;
            resolve();
          });
        }),
      close: () => {},
    };
    const p = pipeline({
      source: readings(100),
      executor,
      transport: objectTransport(slowEcho),
      sizer: fixedSize(5),
      sinks: [slow],
    });
    const done = p.run();
    await Bun.sleep(30);
    // Nothing has been written, so cutting stopped: at most 2 computed and unwritten, and 2 more at the executor.
    const cut = p.stats().counters.batchesCut;
    expect(cut).toBeGreaterThanOrEqual(2);
    expect(cut).toBeLessThanOrEqual(4);
    await Bun.sleep(30);
    expect(p.stats().counters.batchesCut).toBe(cut);
    expect(p.stats().inFlight).toBe(cut);
    let finished = false;
    void done.finally(() => {
      finished = true;
    });
    while (!finished) {
      gates.shift()?.();
      await Bun.sleep(1);
    }
    const report = await done;
    expect(mostAtOnce).toBe(1); // a sink sees one write at a time
    expect(report.accounting).toMatchObject({ entered: 100, results: 100, holds: true });
  });

  test("stopping gives up on batches still in flight after drainTimeoutMs: counted as not written, dropped when they return", async () => {
    await using executor = new InProcessExecutor({ capacity: 2 });
    const sink = new MemorySink<Reading>();
    // Every batch's first reading says it takes 200 ms; stopping waits 20 ms.
    const p = pipeline({
      source: readings(10, () => 200),
      executor,
      transport: objectTransport(slowEcho),
      sizer: fixedSize(5),
      drainTimeoutMs: 20,
      sinks: [sink],
    });
    const report = await p.run();
    expect(report.drained).toBe(false);
    expect(report.accounting).toMatchObject({ entered: 10, results: 0, unwritten: 10, holds: true });
    await executor.close(); // the two batches come back now, after the report
    expect(sink.results).toEqual([]);
    expect(p.stats().accounting).toMatchObject({ results: 0, unwritten: 10, holds: true });
  });

  test("stopping is bounded even when the executor never answers and the input ignores the stop", async () => {
    const never: Executor = {
      capacity: 1,
      run: () => new Promise(() => {}),
      close: async () => {},
      stats: () => new InProcessExecutor().stats(),
      [Symbol.asyncDispose]: async () => {},
    };
    for (const source of [readings(10), { ingest: () => new Promise<never>(() => {}) }]) {
      const p = pipeline<Reading, unknown>({
        source: source as Reading[],
        executor: never,
        transport: objectTransport(slowEcho),
        sizer: fixedSize(1),
        durationMs: 20,
        drainTimeoutMs: 50,
      });
      const started = performance.now();
      const report = await p.run();
      expect(performance.now() - started).toBeLessThan(5_000); // generous; it would hang for ever
      expect(report.drained).toBe(false);
      expect(report.accounting.holds).toBe(true);
      expect(report.accounting.unwritten).toBe(report.inFlight);
      await p.close(); // idempotent after the run
    }
  });

  test("a sizer that asks for an impossible size, or throws, stops the pipeline with a typed error", async () => {
    await using executor = new InProcessExecutor();
    let calls = 0;
    const shrinking = {
      name: "shrinking",
      get size() {
        return calls++ < 3 ? 5 : 0;
      },
      cut: () => undefined,
      completed: () => {},
    };
    const throwing = {
      name: "throwing",
      size: 5,
      cut: () => undefined,
      completed: () => {
        throw new RangeError("bug in the sizer");
      },
    };
    for (const sizer of [shrinking, throwing]) {
      const error = (await pipeline({ source: readings(50), executor, transport: objectTransport(slowEcho), sizer })
        .run()
        .catch((e: unknown) => e)) as PipelineFailedError<PipelineReport>;
      expect(error).toBeInstanceOf(PipelineFailedError);
      expect(error.cause).toBeInstanceOf(InvalidArgumentError);
      expect(error.report.accounting.holds).toBe(true);
    }
  });

  test("a failure policy whose parts do not add up is a failure of the machinery, and nothing is counted twice", async () => {
    await using executor = new InProcessExecutor();
    const sloppy: FailurePolicy = {
      name: "sloppy",
      resolve: async (failure) => ({
        parts: [
          { kind: "dead-lettered", records: failure.records, error: failure.error, attempts: 1 },
          { kind: "failed", records: failure.records.slice(0, 1), error: failure.error, attempts: 1 },
        ],
      }),
    };
    const error = (await pipeline({
      source: readings(4, () => 666),
      executor,
      transport: objectTransport(doubleReadings),
      sizer: fixedSize(4),
      schema: readingSchema,
      failurePolicy: sloppy,
    })
      .run()
      .catch((e: unknown) => e)) as PipelineFailedError<PipelineReport>;
    expect((error.cause as Error).message).toContain("accounted for 5 of 4 records");
    expect(error.report.accounting).toMatchObject({ entered: 4, deadLetters: 0, unwritten: 4, holds: true });
  });

  test("closed before it ran: stopped, with nothing elapsed", async () => {
    await using executor = new InProcessExecutor();
    const p = pipeline({ source: readings(3), executor, transport: objectTransport(slowEcho) });
    await p.close();
    expect(p.stats()).toMatchObject({ state: "stopped", elapsedMs: 0 });
  });

  test("a source that emits error records for what it could not read: they reach the sinks as they are, uncomputed", async () => {
    await using executor = new InProcessExecutor();
    const sink = new MemorySink<Doubled | RecordFailure>();
    const seen: unknown[] = [];
    const unreadable = (line: number): RecordFailure & Reading => ({
      ...errorRecordOf({ line, text: "{oops" }, new SyntaxError(`line ${line}: JSON Parse error`)),
      deviceId: "file",
      n: line,
      reading: undefined,
      ts: 0,
    });
    const records: Reading[] = readings(10);
    records.splice(3, 0, unreadable(4));
    records.splice(8, 0, unreadable(9));
    const source: Source<Reading> = {
      emitsFailures: true,
      async ingest(target) {
        for (const record of records) if (!target.tryPut(record)) await target.put(record);
        return { perSource: { file: records.length }, total: records.length, errors: [] };
      },
    };
    const report = await pipeline({
      source,
      executor,
      transport: objectTransport(
        defineKernel(import.meta.url, "doubleReadings", (batch: readonly Reading[]) => {
          seen.push(...batch);
          return doubleReadings(batch);
        }) as typeof doubleReadings,
      ),
      schema: readingSchema,
      sizer: fixedSize(4),
      sinks: [sink],
    }).run();
    expect(report.accounting).toMatchObject({ entered: 12, results: 10, errorRecords: 2, holds: true });
    expect(seen).toHaveLength(10); // the kernel never saw the two failures
    const failed = sink.batches.flatMap((b) => b.failedRecords);
    expect(failed).toEqual([records[3] as Reading, records[8] as Reading]); // the very objects the source made
    expect(sink.failures.map((f) => f.error)).toEqual(["line 4: JSON Parse error", "line 9: JSON Parse error"]);
    expect(sink.results.map((r) => (r as Doubled).n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
