import { describe, expect, test } from "bun:test";
import { type Executor, fixedSize, InProcessExecutor, InvalidArgumentError, type SensorRecord } from "@poolstream/core";
import { faultTolerantTransport, generateFaultyRecords } from "@poolstream/faults";
import { pipeline } from "@poolstream/pipeline";
import { PipelineMetrics } from "../src/pipeline-metrics.ts";
import { serveMetrics } from "../src/serve-metrics.ts";

/** The value of `name{labels}` in Prometheus text; NaN when absent. */
function sample(text: string, name: string, labels = ""): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

function faultyPipeline(count: number, seed: number) {
  const records = generateFaultyRecords({ count, poisonRate: 0.05, malformedRate: 0.05, seed }) as SensorRecord[];
  return pipeline({
    source: records,
    executor: new InProcessExecutor(),
    transport: faultTolerantTransport("objects"),
    sizer: fixedSize(25),
  });
}

describe("PipelineMetrics", () => {
  test("after a run, the counters add up to the report's identity, outcome by outcome", async () => {
    using metrics = new PipelineMetrics();
    const run = faultyPipeline(2_000, 3);
    metrics.watch(run);
    const report = await run.run();
    const text = await metrics.text();
    const a = report.accounting;
    expect(a.errorRecords).toBeGreaterThan(0);
    expect(a.poisonPills).toBeGreaterThan(0);
    expect(sample(text, "poolstream_records_in_total")).toBe(a.entered);
    expect(sample(text, "poolstream_records_total", '{outcome="result"}')).toBe(a.results);
    expect(sample(text, "poolstream_records_total", '{outcome="error_record"}')).toBe(a.errorRecords);
    expect(sample(text, "poolstream_records_total", '{outcome="poison_pill"}')).toBe(a.poisonPills);
    expect(sample(text, "poolstream_records_total", '{outcome="dead_letter"}')).toBe(a.deadLetters);
    const outcomes = ["result", "error_record", "poison_pill", "dead_letter"].reduce(
      (sum, outcome) => sum + sample(text, "poolstream_records_total", `{outcome="${outcome}"}`),
      0,
    );
    expect(outcomes).toBe(sample(text, "poolstream_records_in_total"));
    expect(sample(text, "poolstream_batches_total", '{stage="cut"}')).toBe(report.counters.batchesCut);
    // One observation per completed batch, and one per lane part of a batch.
    expect(sample(text, "poolstream_batch_duration_seconds_count")).toBe(report.counters.batchesCompleted);
    expect(sample(text, "poolstream_record_latency_seconds_count", '{lane="fifo"}')).toBeGreaterThan(0);
    expect(sample(text, "poolstream_batch_size")).toBe(25);
    // Conventions: types declared, base units, and none of prom-client's default metrics (wrong under Bun).
    expect(text).toContain("# TYPE poolstream_records_total counter");
    expect(text).toContain("# TYPE poolstream_lane_depth gauge");
    expect(text).toContain("# TYPE poolstream_batch_duration_seconds histogram");
    expect(text).toContain("poolstream_event_loop_lag_seconds ");
    expect(text).not.toContain("nodejs_");
    expect(text).not.toContain("process_cpu");
  });

  test("pipelines watched one after another: counters keep rising from where they were", async () => {
    using metrics = new PipelineMetrics();
    const first = faultyPipeline(500, 1);
    metrics.watch(first);
    const a = await first.run();
    // Not scraped in between: what the first counted is carried all the same.
    const second = faultyPipeline(700, 2);
    metrics.watch(second);
    const b = await second.run();
    const text = await metrics.text();
    expect(sample(text, "poolstream_records_in_total")).toBe(a.accounting.entered + b.accounting.entered);
    expect(sample(text, "poolstream_records_total", '{outcome="result"}')).toBe(
      a.accounting.results + b.accounting.results,
    );
  });

  test("served at /metrics over HTTP while a pipeline runs; other paths 404; stop closes it", async () => {
    using metrics = new PipelineMetrics();
    const server = serveMetrics(metrics, { port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const run = faultyPipeline(20_000, 4);
    metrics.watch(run);
    const running = run.run();
    const during = await fetch(server.url);
    expect(during.headers.get("content-type")).toContain("text/plain");
    const text = await during.text();
    // Mid-run: what has ended never exceeds what came in.
    const ended = ["result", "error_record", "poison_pill", "dead_letter"].reduce(
      (sum, outcome) => sum + sample(text, "poolstream_records_total", `{outcome="${outcome}"}`),
      0,
    );
    expect(ended).toBeLessThanOrEqual(sample(text, "poolstream_records_in_total"));
    expect((await fetch(server.url.replace("/metrics", "/other"))).status).toBe(404);
    await running;
    await server.stop();
    await server.stop();
    await expect(fetch(server.url)).rejects.toThrow();
    expect(() => serveMetrics(metrics, { port: 70_000 })).toThrow(InvalidArgumentError);
    expect(() => new PipelineMetrics({ lagSampleMs: 0 })).toThrow(RangeError);
  });

  test("an executor's crashes from before a pipeline are not counted again; a stale stop function does nothing", async () => {
    using metrics = new PipelineMetrics();
    const local = new InProcessExecutor();
    // An executor that had 3 crashes before any of these pipelines ran, and none during them.
    const executor: Executor = {
      capacity: local.capacity,
      run: (kernel, input, options) => local.run(kernel, input, options),
      close: () => local.close(),
      stats: () => ({ ...local.stats(), crashes: 3 }),
      [Symbol.asyncDispose]: () => local.close(),
    };
    const stops: (() => void)[] = [];
    for (const seed of [1, 2, 3]) {
      const run = faultyPipeline(200, seed);
      stops.push(metrics.watch(run, executor));
      await run.run();
    }
    expect(sample(await metrics.text(), "poolstream_worker_crashes_total")).toBe(0);
    // The first watch's stop function, called late, leaves the third pipeline watched.
    const third = faultyPipeline(300, 9);
    metrics.watch(third, executor);
    stops[0]?.();
    await third.run();
    expect(sample(await metrics.text(), "poolstream_batch_duration_seconds_count")).toBeGreaterThan(0);
    const before = sample(await metrics.text(), "poolstream_batch_duration_seconds_count");
    expect(before).toBe(Math.ceil(200 / 25) * 3 + Math.ceil(300 / 25));
  });
});
