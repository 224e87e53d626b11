/**
 * What Prometheus metrics cost a pipeline: the same pass with a
 * `PipelineMetrics` watching it and scraped once a second while it runs
 * (Prometheus's default is every 15 s), and without, on the light kernel at
 * batch 100, where batches, and so the per-batch events, are most frequent.
 * The two are measured in pairs, in alternating order (on a shared 2-core
 * machine a pass's time drifts by more than the cost being measured), and
 * the cost is the median of the pairs' ratios.
 */
import { fixedSize } from "@poolstream/core";
import { PipelineMetrics } from "@poolstream/metrics";
import { formatRate, median } from "../measure.ts";
import { runPipeline } from "../pipeline-pass.ts";
import { transportsFor } from "./peers.ts";
import { type BenchContext, type SectionReport, targetRow } from "./section.ts";

const PAIRS = 60;
const WARM_UP = 5;

export async function metricsSection(ctx: BenchContext): Promise<SectionReport> {
  const { columnar } = transportsFor("light");
  const count = ctx.records.length;
  using metrics = new PipelineMetrics();
  const scraper = setInterval(() => void metrics.text(), 1_000);
  const pass = async (watched: boolean): Promise<number> => {
    const started = performance.now();
    await runPipeline(ctx.pool, columnar, ctx.records, fixedSize(100), undefined, (run) => {
      if (watched) metrics.watch(run, ctx.pool);
    });
    return performance.now() - started;
  };
  try {
    for (let i = 0; i < WARM_UP; i++) {
      await pass(false);
      await pass(true);
    }
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      if (i % 2 === 0) {
        off.push(await pass(false));
        on.push(await pass(true));
      } else {
        on.push(await pass(true));
        off.push(await pass(false));
      }
    }
    const ratios = on.map((ms, i) => ms / (off[i] as number));
    const cost = median(ratios) - 1;
    const rate = (ms: number) => formatRate(count / (ms / 1000));
    ctx.progress(
      `metrics: ${PAIRS} pairs, off ${rate(median(off))}, on ${rate(median(on))}, median pair ratio ${median(ratios).toFixed(3)}`,
    );
    return {
      markdown: [
        "## What metrics cost",
        "",
        `The light kernel at batch 100 (the most batches, and so the most per-batch events, a second), columns, ${ctx.workers} workers: the pipeline pass alone, and with a \`PipelineMetrics\` watching it, scraped once a second; ${PAIRS} pairs of passes in alternating order after ${WARM_UP} to warm up.`,
        "",
        "| | median pass | records/s |",
        "| --- | ---: | ---: |",
        `| metrics off | ${median(off).toFixed(1)} ms | ${rate(median(off))} |`,
        `| metrics on | ${median(on).toFixed(1)} ms | ${rate(median(on))} |`,
        "",
        `Median of the ${PAIRS} pairs' ratios (on ÷ off): ${median(ratios).toFixed(3)}; their middle half from ${quantile(ratios, 0.25).toFixed(3)} to ${quantile(ratios, 0.75).toFixed(3)}.`,
        "",
      ],
      targets: [
        targetRow(
          "metrics on: at most 3 % slower than off (light kernel, batch 100)",
          `${(Math.abs(cost) * 100).toFixed(1)} % ${cost >= 0 ? "slower" : "faster"} (median of ${PAIRS} paired ratios)`,
          cost <= 0.03,
        ),
      ],
    };
  } finally {
    clearInterval(scraper);
  }
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
