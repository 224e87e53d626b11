import { describe, expect, test } from "bun:test";
import { generateSensorRecords } from "@poolstream/ingest";
import { WorkerPool } from "@poolstream/pool";
import { classify, Priority } from "../src/classify.ts";
import type { PriorityResult } from "../src/kernels/compute-priority-batch.ts";
import { PriorityBatchQueue } from "../src/priority-batch-queue.ts";
import { PriorityPoolProcessor } from "../src/priority-pool-processor.ts";
import { priorityColumnarTransport, priorityObjectTransport } from "../src/priority-transport.ts";
import { priorityValueGenerator } from "../src/priority-values.ts";

describe("PriorityPoolProcessor (real Workers)", () => {
  for (const transport of [priorityColumnarTransport(), priorityObjectTransport()]) {
    test(`every record is computed once and its latency counted in its lane (${transport.name})`, async () => {
      await using pool = new WorkerPool({ size: 2 });
      const queue = new PriorityBatchQueue({ capacity: 1000 });
      const records = generateSensorRecords({ count: 600, seed: 5, valueGenerator: priorityValueGenerator(0.2) });
      for (const record of records) await queue.put(record, classify(record));
      queue.close();
      const results: PriorityResult[] = [];
      const stats = await new PriorityPoolProcessor({
        queue,
        pool,
        batchSize: 25,
        transport,
        onResults: (batch) => results.push(...batch),
      }).run();
      const critical = records.filter((r) => classify(r) === Priority.critical).length;
      expect(critical).toBeGreaterThan(60); // ~20 % of 600
      expect(stats.criticalProcessed).toBe(critical);
      expect(stats.normalProcessed).toBe(600 - critical);
      expect(stats.criticalLatencyMs.count).toBe(critical);
      expect(stats.normalLatencyMs.count).toBe(600 - critical);
      expect(stats.criticalLatencyMs.min).toBeGreaterThanOrEqual(0);
      expect(stats.failedRecords).toBe(0);
      expect(results.map((r) => `${r.sensorId}/${r.seq}`).sort()).toEqual(
        records.map((r) => `${r.sensorId}/${r.seq}`).sort(),
      );
    });
  }

  test("with a NORMAL backlog, CRITICAL records are computed first and wait less", async () => {
    await using pool = new WorkerPool({ size: 1 });
    const queue = new PriorityBatchQueue({ capacity: 200 });
    // The backlog is there before processing starts: 150 NORMAL records, then 15 CRITICAL ones.
    const normal = generateSensorRecords({ count: 150, seed: 1, valueGenerator: () => 50 });
    const critical = generateSensorRecords({ count: 15, seed: 2, valueGenerator: () => 99 });
    for (const record of normal) await queue.put(record, Priority.normal);
    for (const record of critical) await queue.put(record, Priority.critical);
    queue.close();
    const order: string[] = [];
    const stats = await new PriorityPoolProcessor({
      queue,
      pool,
      batchSize: 10,
      // ~2 ms of simulated analysis per batch, so the backlog takes a while to clear.
      transport: priorityColumnarTransport(10_000),
      onResults: (batch) => order.push(...batch.map((r) => r.priority)),
    }).run();
    expect(order.slice(0, 15).every((p) => p === Priority.critical)).toBe(true);
    expect(stats.criticalLatencyMs.max).toBeLessThan(stats.normalLatencyMs.p50);
  });
});
