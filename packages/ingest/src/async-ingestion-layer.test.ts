import { describe, expect, test } from "bun:test";
import { flushMicrotasks, ManualClock, type SensorRecord } from "@poolstream/core";
import { AsyncIngestionLayer } from "./async-ingestion-layer.ts";
import { AsyncSensorSource } from "./async-sensor-source.ts";

describe("AsyncIngestionLayer", () => {
  test("ingests all sources concurrently for the duration, then closes the queue", async () => {
    const clock = new ManualClock();
    const sources = ["a", "b", "c"].map((id) => new AsyncSensorSource({ id, intervalMs: 50, clock }));
    const layer = new AsyncIngestionLayer(sources, { capacity: 1000, clock });
    const run = layer.run(1);
    await clock.advance(1000);
    const report = await run;
    // Readings fall due at 50, 100, ..., 1000 ms; the one due exactly at the end loses to the stop.
    expect(report.perSource).toEqual({ a: 19, b: 19, c: 19 });
    expect(report.total).toBe(57);
    expect(report.errors).toEqual([]);
    expect(layer.queue.closed).toBe(true);
    expect(layer.queue.size).toBe(57);
    expect(clock.pendingTimers).toBe(0);
  });

  test("a throwing source is recorded and the others go on", async () => {
    const clock = new ManualClock();
    const good = new AsyncSensorSource({ id: "good", intervalMs: 10, clock });
    const bad = new AsyncSensorSource({ id: "bad", intervalMs: 10, failAfter: 2, clock });
    const layer = new AsyncIngestionLayer([good, bad], { capacity: 1000, clock });
    const run = layer.run(0.5);
    await clock.advance(500);
    const report = await run;
    expect(report.perSource).toEqual({ good: 49, bad: 2 });
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]?.sourceId).toBe("bad");
    expect(report.errors[0]?.message).toContain("failed after 2");
  });

  test("backpressure: producers wait on a full queue, nothing is dropped, size never exceeds capacity", async () => {
    const clock = new ManualClock();
    const sources = ["a", "b"].map((id) => new AsyncSensorSource({ id, intervalMs: 1, clock }));
    const layer = new AsyncIngestionLayer(sources, { capacity: 5, clock });
    const run = layer.run(0.1);
    const received: SensorRecord[] = [];
    let maxSize = 0;
    // 100 ms at 1 ms per reading, but nobody reads for the first 50 ms.
    for (let t = 0; t < 50; t++) {
      await clock.advance(1);
      maxSize = Math.max(maxSize, layer.queue.size);
    }
    expect(layer.queue.size).toBe(5);
    expect(layer.queue.stats().waitingProducers).toBe(2);
    const consumer = (async () => {
      for await (const record of layer.queue) received.push(record);
    })();
    for (let t = 0; t < 60; t++) {
      await clock.advance(1);
      maxSize = Math.max(maxSize, layer.queue.size);
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

  test("an external abort ends the run early and still closes the queue", async () => {
    const clock = new ManualClock();
    const layer = new AsyncIngestionLayer([new AsyncSensorSource({ id: "a", intervalMs: 10, clock })], { clock });
    const controller = new AbortController();
    const run = layer.run(60, { signal: controller.signal });
    await clock.advance(100);
    controller.abort();
    const report = await run;
    expect(report.total).toBe(10);
    expect(layer.queue.closed).toBe(true);
  });
});
