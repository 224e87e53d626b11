import { describe, expect, test } from "bun:test";
import { ManualClock, type ProcessedRecord } from "@poolstream/core";
import { ResultsSink } from "./results-sink.ts";

const result = (normalized: number, createdAt: number, valid = true): ProcessedRecord => ({
  sensorId: "s",
  seq: 0,
  value: normalized * 100,
  timestamp: 0,
  createdAt,
  normalized,
  rollingMean: normalized,
  anomaly: normalized > 0.8,
  valid,
});

describe("ResultsSink", () => {
  test("prints a summary each time another 100 records have arrived", () => {
    const lines: string[] = [];
    const sink = new ResultsSink({ log: (line) => lines.push(line), clock: new ManualClock() });
    for (let i = 0; i < 6; i++) sink.receiveBatch(Array.from({ length: 15 }, () => result(0.5, 0)));
    expect(lines).toHaveLength(0); // 90 records
    sink.receiveBatch(Array.from({ length: 15 }, () => result(0.5, 0)));
    expect(lines).toHaveLength(1); // 105 records
    expect(lines[0]).toContain("received 105 records");
    sink.receiveBatch(Array.from({ length: 250 }, () => result(0.5, 0)));
    expect(lines).toHaveLength(2); // one summary per batch, even when it crosses several hundreds
  });

  test("a running line gives the latency since the previous line; the summary, the whole run", () => {
    const lines: string[] = [];
    const clock = new ManualClock(1000);
    const sink = new ResultsSink({ log: (line) => lines.push(line), clock });
    sink.receiveBatch(Array.from({ length: 100 }, () => result(0.5, 990))); // 10 ms each
    sink.receiveBatch(Array.from({ length: 100 }, () => result(0.5, 500))); // 500 ms each
    expect(lines[0]).toContain("latency p50 10.0 ms (last 100)");
    expect(lines[1]).toContain("latency p50 500.0 ms (last 100)");
    expect(sink.summary().latencyMs).toMatchObject({ count: 200, min: 10, max: 500 });
  });

  test("summary counts anomalies, invalid records, mean normalized and latency", () => {
    const clock = new ManualClock(1000);
    const sink = new ResultsSink({ log: () => {}, clock });
    sink.receiveBatch([result(0.9, 990), result(0.1, 980), result(0, 900, false)]);
    const summary = sink.summary();
    expect(summary).toMatchObject({ received: 3, batches: 1, anomalies: 1, invalid: 1 });
    expect(summary.meanNormalized).toBeCloseTo(0.5);
    expect(summary.latencyMs.min).toBe(10);
    expect(summary.latencyMs.max).toBe(100);
    expect(sink.results).toHaveLength(3);
  });
});
