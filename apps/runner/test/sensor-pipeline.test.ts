import { describe, expect, test } from "bun:test";
import { runSensorPipeline } from "../src/pipelines/sensor-pipeline.ts";

describe("sensor pipeline end to end (real Workers, real clock)", () => {
  test("a 1 s run processes every record it ingests", async () => {
    const lines: string[] = [];
    const { report, sink, failure } = await runSensorPipeline({
      durationSec: 1,
      sensors: 5,
      intervalMs: 10,
      batchSize: 15,
      workers: 2,
      seed: 1,
      log: (line) => lines.push(line),
    });
    // ~500 records at 10 ms × 5 sensors; generous bounds for a loaded machine.
    expect(failure).toBeUndefined();
    expect(report.accounting.entered).toBeGreaterThan(100);
    expect(report.accounting).toMatchObject({ results: report.accounting.entered, holds: true, deadLetters: 0 });
    expect(report.source?.total).toBe(report.accounting.entered);
    expect(sink.received).toBe(report.accounting.entered);
    // One summary line per hundred records (batches of 15 never cross two hundreds at once).
    expect(lines.length).toBe(Math.floor(sink.received / 100));
    expect(sink.latencyMs.count).toBe(sink.received);
    expect(report.elapsedMs).toBeLessThan(10_000);
    expect(report.stopReason).toBe("duration elapsed");
  });

  test("a failing sensor is reported and the others keep going; an abort drains", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort("test"), 400);
    const { report } = await runSensorPipeline({
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
    expect(report.stopReason).toBe("aborted");
    expect(report.elapsedMs).toBeLessThan(10_000);
    expect(report.source?.errors.map((e) => e.sourceId)).toEqual(["sensor-2"]);
    expect(report.source?.perSource["sensor-2"]).toBe(5);
    expect(report.source?.perSource["sensor-1"]).toBeGreaterThan(5);
    expect(report.accounting).toMatchObject({ results: report.accounting.entered, holds: true });
  });

  test("every capability at once: priority lanes, adaptive size, crashes recovered or dead-lettered", async () => {
    const { report, deadLettersInLog, sizeSamples } = await runSensorPipeline({
      durationSec: 1,
      sensors: 10,
      intervalMs: 2,
      batchSize: "auto",
      workers: 2,
      seed: 3,
      lanes: "priority",
      onFailure: "dead-letter",
      dlqPath: ":memory:",
      crashRate: 0.2,
      log: () => {},
    });
    expect(report.lanes.map((lane) => lane.name)).toEqual(["CRITICAL", "NORMAL"]);
    expect(report.lanes.every((lane) => lane.delivered > 0)).toBe(true);
    expect(report.counters.failedCalls).toBeGreaterThan(0);
    expect(report.counters.recoveries).toBeGreaterThan(0);
    expect(report.accounting.holds).toBe(true);
    expect(deadLettersInLog).toBeDefined();
    expect(report.accounting.deadLetters).toBe(deadLettersInLog ?? -1);
    expect(sizeSamples?.length).toBeGreaterThan(0);
  });

  test("the same pipeline with its kernels in child processes: every record computed and accounted for", async () => {
    const options = {
      durationSec: 0.5,
      sensors: 4,
      intervalMs: 5,
      batchSize: 10,
      workers: 2,
      seed: 4,
      lanes: "priority",
      onFailure: "dead-letter",
      dlqPath: ":memory:",
      log: () => {},
    } as const;
    const { report, sink, failure } = await runSensorPipeline({ ...options, executor: "processes" });
    expect(failure).toBeUndefined();
    expect(report.accounting.entered).toBeGreaterThan(50);
    expect(report.accounting).toMatchObject({ results: report.accounting.entered, holds: true });
    expect(sink.received).toBe(report.accounting.entered);
    expect(sink.anomalies).toBeGreaterThanOrEqual(0);
  }, 30_000);
});
