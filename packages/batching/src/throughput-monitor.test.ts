import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "@poolstream/core";
import { ThroughputMonitor } from "./throughput-monitor.ts";

describe("ThroughputMonitor", () => {
  test("an empty history recommends nothing", () => {
    expect(new ThroughputMonitor().recommendedBatchSize()).toBeUndefined();
  });

  test("recommends the size with the lowest ms per record", () => {
    const monitor = new ThroughputMonitor();
    monitor.recordBatch(10, 10); // 1.0 ms/record
    monitor.recordBatch(50, 25); // 0.5
    monitor.recordBatch(100, 80); // 0.8
    expect(monitor.recommendedBatchSize()).toBe(50);
  });

  test("keeps only the last historySize batches, in a ring", () => {
    const monitor = new ThroughputMonitor({ historySize: 10 });
    monitor.recordBatch(200, 1); // the cheapest by far, but it will be forgotten
    for (let i = 0; i < 10; i++) monitor.recordBatch(20, 20);
    expect(monitor.history()).toHaveLength(10);
    expect(monitor.history().every((s) => s.batchSize === 20)).toBe(true);
    expect(monitor.recommendedBatchSize()).toBe(20);
  });

  test("averages repeated samples of a size instead of trusting one", () => {
    const monitor = new ThroughputMonitor({ tieTolerance: 0 });
    monitor.recordBatch(10, 2); // 0.2: one lucky sample
    monitor.recordBatch(10, 20); // 2.0 → mean 1.1
    monitor.recordBatch(20, 10); // 0.5
    expect(monitor.costs().find((c) => c.batchSize === 10)).toEqual({ batchSize: 10, msPerRecord: 1.1, samples: 2 });
    expect(monitor.recommendedBatchSize()).toBe(20);
  });

  test("leaves the slowest 40 % of a size's samples out of its average", () => {
    const monitor = new ThroughputMonitor({ tieTolerance: 0 });
    for (const durationMs of [10, 10, 10, 300, 500]) monitor.recordBatch(10, durationMs); // two preempted batches
    for (let i = 0; i < 5; i++) monitor.recordBatch(20, 24); // 1.2 ms/record
    expect(monitor.costs().find((c) => c.batchSize === 10)).toEqual({ batchSize: 10, msPerRecord: 1, samples: 5 });
    expect(monitor.recommendedBatchSize()).toBe(10);
    const untrimmed = new ThroughputMonitor({ tieTolerance: 0, trimSlowest: 0 });
    for (const sample of monitor.history()) untrimmed.recordBatch(sample.batchSize, sample.durationMs);
    expect(untrimmed.recommendedBatchSize()).toBe(20);
  });

  test("sizes within the tolerance of the best tie, and a tie goes to the smallest", () => {
    const monitor = new ThroughputMonitor(); // 5 %
    monitor.recordBatch(200, 100); // 0.500 (best)
    monitor.recordBatch(50, 26); // 0.520: within 5 % → tied, and smaller
    monitor.recordBatch(20, 11); // 0.550: 10 % worse → not tied
    expect(monitor.recommendedBatchSize()).toBe(50);
    const strict = new ThroughputMonitor({ tieTolerance: 0.01 });
    strict.recordBatch(200, 100);
    strict.recordBatch(50, 26);
    expect(strict.recommendedBatchSize()).toBe(200);
  });

  test("rejects bad samples and options", () => {
    const monitor = new ThroughputMonitor();
    expect(() => monitor.recordBatch(0, 1)).toThrow(InvalidArgumentError);
    expect(() => monitor.recordBatch(5, Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => monitor.recordBatch(5, -1)).toThrow(InvalidArgumentError);
    expect(() => new ThroughputMonitor({ historySize: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ThroughputMonitor({ tieTolerance: 1 })).toThrow(InvalidArgumentError);
    expect(() => new ThroughputMonitor({ trimSlowest: -0.1 })).toThrow(InvalidArgumentError);
  });
});
