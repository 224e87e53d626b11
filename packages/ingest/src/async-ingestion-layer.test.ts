import { describe, expect, test } from "bun:test";
import { BoundedQueue, flushMicrotasks, ManualClock, type SensorRecord, sleep } from "@poolstream/core";
import { AsyncIngestionLayer } from "./async-ingestion-layer.ts";
import { AsyncSensorSource } from "./async-sensor-source.ts";

/** Ingests into `queue` for `durationMs` on `clock`, then closes it, as a pipeline would. */
async function ingestFor(
  layer: AsyncIngestionLayer,
  queue: BoundedQueue<SensorRecord>,
  clock: ManualClock,
  ms: number,
) {
  const stop = new AbortController();
  void sleep(clock, ms, stop.signal).then(
    () => stop.abort("duration"),
    () => {},
  );
  try {
    return await layer.ingest(queue, stop.signal);
  } finally {
    stop.abort("done");
    queue.close();
  }
}

describe("AsyncIngestionLayer", () => {
  test("ingests all sources concurrently until stopped, and leaves closing to the owner", async () => {
    const clock = new ManualClock();
    const sources = ["a", "b", "c"].map((id) => new AsyncSensorSource({ id, intervalMs: 50, clock }));
    const layer = new AsyncIngestionLayer(sources);
    const queue = new BoundedQueue<SensorRecord>({ capacity: 1000, clock });
    const stop = new AbortController();
    const run = layer.ingest(queue, stop.signal);
    await clock.advance(1000);
    stop.abort();
    const report = await run;
    // Readings fall due at 50, 100, ..., 1000 ms; the stop comes after the one due at 1000.
    expect(report.perSource).toEqual({ a: 20, b: 20, c: 20 });
    expect(report.total).toBe(60);
    expect(report.errors).toEqual([]);
    expect(queue.closed).toBe(false);
    expect(queue.size).toBe(60);
    expect(clock.pendingTimers).toBe(0);
    await expect(layer.ingest(queue, stop.signal)).rejects.toThrow("runs once");
  });

  test("a throwing source is recorded and the others go on", async () => {
    const clock = new ManualClock();
    const good = new AsyncSensorSource({ id: "good", intervalMs: 10, clock });
    const bad = new AsyncSensorSource({ id: "bad", intervalMs: 10, failAfter: 2, clock });
    const queue = new BoundedQueue<SensorRecord>({ capacity: 1000, clock });
    const run = ingestFor(new AsyncIngestionLayer([good, bad]), queue, clock, 495);
    await clock.advance(500);
    const report = await run;
    expect(report.perSource).toEqual({ good: 49, bad: 2 });
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]?.sourceId).toBe("bad");
    expect(report.errors[0]?.message).toContain("failed after 2");
  });

  test("backpressure: producers wait on a full target, nothing is dropped, size never exceeds capacity", async () => {
    const clock = new ManualClock();
    const sources = ["a", "b"].map((id) => new AsyncSensorSource({ id, intervalMs: 1, clock }));
    const queue = new BoundedQueue<SensorRecord>({ capacity: 5, clock });
    const run = ingestFor(new AsyncIngestionLayer(sources), queue, clock, 100);
    const received: SensorRecord[] = [];
    let maxSize = 0;
    // 100 ms at 1 ms per reading, but nobody reads for the first 50 ms.
    for (let t = 0; t < 50; t++) {
      await clock.advance(1);
      maxSize = Math.max(maxSize, queue.size);
    }
    expect(queue.size).toBe(5);
    expect(queue.stats().waitingProducers).toBe(2);
    const consumer = (async () => {
      for await (const record of queue) received.push(record);
    })();
    for (let t = 0; t < 60; t++) {
      await clock.advance(1);
      maxSize = Math.max(maxSize, queue.size);
    }
    const report = await run;
    await consumer;
    await flushMicrotasks();
    expect(maxSize).toBeLessThanOrEqual(5);
    expect(received.length).toBe(report.total);
    for (const id of ["a", "b"]) {
      const seqs = received.filter((r) => r.sensorId === id).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: report.perSource[id] ?? 0 }, (_, i) => i));
    }
  });

  test("a target closed under waiting producers ends them quietly: their records were never accepted", async () => {
    const clock = new ManualClock();
    const queue = new BoundedQueue<SensorRecord>({ capacity: 2, clock });
    const layer = new AsyncIngestionLayer([new AsyncSensorSource({ id: "a", intervalMs: 10, clock })]);
    const run = layer.ingest(queue, new AbortController().signal);
    await clock.advance(100);
    expect(queue.stats().waitingProducers).toBe(1);
    queue.close();
    const report = await run;
    expect(report.total).toBe(2);
    expect(report.errors).toEqual([]);
  });

  test("source ids must be unique", () => {
    const clock = new ManualClock();
    const a = new AsyncSensorSource({ id: "a", clock });
    expect(() => new AsyncIngestionLayer([a, new AsyncSensorSource({ id: "a", clock })])).toThrow("unique");
  });

  test("a source that never yields, or ignores the signal, does not hold the stop up", async () => {
    const queue = new BoundedQueue<SensorRecord>({ capacity: 10 });
    let returned = false;
    const silent = {
      id: "silent",
      readings: () => ({
        [Symbol.asyncIterator]: () => ({
          next: () => new Promise<IteratorResult<SensorRecord>>(() => {}),
          return: async () => {
            returned = true;
            return { done: true as const, value: undefined };
          },
        }),
      }),
    };
    const stop = new AbortController();
    const run = new AsyncIngestionLayer([silent]).ingest(queue, stop.signal);
    stop.abort();
    const report = await run;
    expect(report).toMatchObject({ total: 0, errors: [] });
    expect(returned).toBe(true);
  });
});
