import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { BucketHistogram } from "./bucket-histogram.ts";

describe("BucketHistogram", () => {
  test("formats as a Prometheus histogram: cumulative buckets up to +Inf, sum and count, per label value", async () => {
    const registry = new Registry();
    const histogram = new BucketHistogram({
      name: "t_seconds",
      help: "a test",
      buckets: [0.1, 1],
      labelName: "lane",
      registry,
    });
    for (const value of [0.05, 0.1, 0.5, 3]) histogram.series("a").observe(value);
    histogram.series("b").observe(2);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE t_seconds histogram");
    expect(text).toContain('t_seconds_bucket{lane="a",le="0.1"} 2');
    expect(text).toContain('t_seconds_bucket{lane="a",le="1"} 3');
    expect(text).toContain('t_seconds_bucket{lane="a",le="+Inf"} 4');
    expect(text).toContain('t_seconds_sum{lane="a"} 3.65');
    expect(text).toContain('t_seconds_count{lane="a"} 4');
    expect(text).toContain('t_seconds_bucket{lane="b",le="1"} 0');
    expect(text).toContain('t_seconds_count{lane="b"} 1');
  });

  test("bounds must be finite and ascending", () => {
    for (const buckets of [[], [1, 1], [2, 1], [Number.NaN], [1, Number.POSITIVE_INFINITY]]) {
      expect(() => new BucketHistogram({ name: "x", help: "x", buckets, registry: new Registry() })).toThrow(
        RangeError,
      );
    }
  });
});
