import { describe, expect, test } from "bun:test";
import { mean, percentile, SampleRecorder, summarize } from "./stats.ts";

describe("stats", () => {
  test("percentile interpolates between ranks", () => {
    const sorted = [10, 20, 30, 40, 50];
    expect(percentile(sorted, 0)).toBe(10);
    expect(percentile(sorted, 50)).toBe(30);
    expect(percentile(sorted, 100)).toBe(50);
    expect(percentile(sorted, 25)).toBe(20);
    expect(percentile(sorted, 10)).toBeCloseTo(14);
    expect(percentile([], 50)).toBeNaN();
  });

  test("summarize sorts and reports the distribution", () => {
    const d = summarize([5, 1, 3, 2, 4]);
    expect(d).toMatchObject({ count: 5, mean: 3, min: 1, p50: 3, max: 5 });
    expect(summarize([]).count).toBe(0);
    expect(mean([])).toBe(0);
  });

  test("SampleRecorder grows past its initial buffer", () => {
    const recorder = new SampleRecorder();
    for (let i = 1; i <= 3000; i++) recorder.record(i);
    const d = recorder.summary();
    expect(d.count).toBe(3000);
    expect(d.max).toBe(3000);
    expect(d.mean).toBe(1500.5);
  });

  test("SampleRecorder summarizes the samples from an index on", () => {
    const recorder = new SampleRecorder();
    for (let i = 1; i <= 10; i++) recorder.record(i);
    expect(recorder.summary(7)).toMatchObject({ count: 3, min: 8, max: 10 });
    expect(recorder.summary(10).count).toBe(0);
    expect(recorder.summary(-5).count).toBe(10);
  });
});
