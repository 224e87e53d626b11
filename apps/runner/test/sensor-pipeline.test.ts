import { describe, expect, test } from "bun:test";
import { runSensorPipeline } from "../src/pipelines/sensor-pipeline.ts";

describe("sensor pipeline end to end (real Workers, real clock)", () => {
  test("a 1 s run processes every record it ingests", async () => {
    const lines: string[] = [];
    const report = await runSensorPipeline({
      durationSec: 1,
      sensors: 5,
      intervalMs: 10,
      batchSize: 15,
      workers: 2,
      seed: 1,
      log: (line) => lines.push(line),
    });
    // ~500 records at 10 ms × 5 sensors; generous bounds for a loaded machine.
    expect(report.ingestion.total).toBeGreaterThan(100);
    expect(report.processed).toBe(report.ingestion.total);
    expect(report.accountedFor).toBe(true);
    expect(report.failedBatches).toEqual([]);
    expect(report.batches.records).toBe(report.ingestion.total);
    // One summary line per hundred records (batches of 15 never cross two hundreds at once).
    expect(lines.length).toBe(Math.floor(report.processed / 100));
    expect(report.latencyMs.count).toBe(report.processed);
    expect(report.elapsedSec).toBeLessThan(10);
  });

  test("a failing sensor is reported and the others keep going; an abort drains", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort("test"), 400);
    const report = await runSensorPipeline({
      durationSec: 30,
      sensors: 3,
      intervalMs: 10,
      batchSize: 7,
      workers: 2,
      seed: 2,
      failingSensors: { 1: 5 },
      signal: controller.signal,
      log: () => {},
    });
    expect(report.aborted).toBe(true);
    expect(report.elapsedSec).toBeLessThan(10);
    expect(report.ingestion.errors.map((e) => e.sourceId)).toEqual(["sensor-2"]);
    expect(report.ingestion.perSource["sensor-2"]).toBe(5);
    expect(report.ingestion.perSource["sensor-1"]).toBeGreaterThan(5);
    expect(report.processed).toBe(report.ingestion.total);
  });
});
