/**
 * What Prometheus metrics cost a pipeline: the same pass with a
 * `PipelineMetrics` watching it (its histograms hear every batch, and it is
 * scraped once a pass, far more often than Prometheus would) and without, on
 * the light kernel at batch 100, where batches, and so events, are most
 * frequent. Three alternating rounds; the medians of each side are compared.
 */
import { fixedSize } from "@poolstream/core";
import { PipelineMetrics } from "@poolstream/metrics";
import { formatRate, measureThroughput, median } from "../measure.ts";
import { runPipeline } from "../pipeline-pass.ts";
import { transportsFor } from "./peers.ts";
import { type BenchContext, type SectionReport, targetRow } from "./section.ts";

const ROUNDS = 3;

export async function metricsSection(ctx: BenchContext): Promise<SectionReport> {
  const { columnar } = transportsFor("light");
  const count = ctx.records.length;
  using metrics = new PipelineMetrics();
  const off: number[] = [];
  const on: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const plain = await measureThroughput(count, ctx.samples, () =>
      runPipeline(ctx.pool, columnar, ctx.records, fixedSize(100)),
    );
    const watched = await measureThroughput(count, ctx.samples, async () => {
      const report = await runPipeline(ctx.pool, columnar, ctx.records, fixedSize(100), undefined, (run) => {
        metrics.watch(run, ctx.pool);
      });
      await metrics.text();
      return report;
    });
    off.push(plain.recordsPerSec);
    on.push(watched.recordsPerSec);
    ctx.progress(
      `metrics round ${round}/${ROUNDS}: off ${formatRate(plain.recordsPerSec)}, on ${formatRate(watched.recordsPerSec)}`,
    );
  }
  const offMedian = median(off);
  const onMedian = median(on);
  const slower = 1 - onMedian / offMedian;
  return {
    markdown: [
      "## What metrics cost",
      "",
      `The light kernel at batch 100 (the most batches, and so the most events, a second), columns, ${ctx.workers} workers: the pipeline pass alone, and with a \`PipelineMetrics\` watching it and scraped once a pass; ${ROUNDS} alternating rounds, medians of each.`,
      "",
      "| | off | on | on ÷ off |",
      "| --- | ---: | ---: | ---: |",
      ...off.map(
        (rate, i) =>
          `| round ${i + 1} | ${formatRate(rate)} | ${formatRate(on[i] as number)} | ${((on[i] as number) / rate).toFixed(3)} |`,
      ),
      `| median | ${formatRate(offMedian)} | ${formatRate(onMedian)} | ${(onMedian / offMedian).toFixed(3)} |`,
      "",
    ],
    targets: [
      targetRow(
        "metrics on: at most 3 % slower than off (light kernel, batch 100)",
        `${(slower * 100).toFixed(1)} % ${slower >= 0 ? "slower" : "faster"}`,
        slower <= 0.03,
      ),
    ],
  };
}
