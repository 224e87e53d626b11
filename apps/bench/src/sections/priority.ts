/** CRITICAL latency and NORMAL throughput under a saturating load, with and without priority lanes. */
import type { Distribution } from "@poolstream/core";
import { formatRate, ratio } from "../measure.ts";
import { type PriorityScenarioResult, runWithoutPriority, runWithPriority } from "../priority-scenario.ts";
import { type BenchContext, type SectionReport, targetRow } from "./section.ts";

const RUNS = 5;

/** Each figure is the median over the runs, taken figure by figure. */
function medianResult(runs: readonly PriorityScenarioResult[]): PriorityScenarioResult {
  const median = (pick: (r: PriorityScenarioResult) => number) => {
    const values = runs.map(pick).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? 0;
  };
  const distribution = (pick: (r: PriorityScenarioResult) => Distribution) => {
    const keys = ["count", "mean", "min", "p50", "p95", "p99", "max"] as const;
    return Object.fromEntries(keys.map((k) => [k, median((r) => pick(r)[k])])) as unknown as Distribution;
  };
  return {
    criticalLatencyMs: distribution((r) => r.criticalLatencyMs),
    normalLatencyMs: distribution((r) => r.normalLatencyMs),
    normalPerSec: median((r) => r.normalPerSec),
    oneBatchMs: median((r) => r.oneBatchMs),
  };
}

export async function prioritySection(ctx: BenchContext): Promise<SectionReport> {
  const options = { pool: ctx.pool, normalRecords: 3000, batchSize: 10, workPerRecord: 10_000, laneCapacity: 100 };
  const scenarios: { label: string; run: () => Promise<PriorityScenarioResult> }[] = [
    { label: "one FIFO lane (no priority)", run: () => runWithoutPriority(options) },
    { label: "priority lanes, CRITICAL-only batches (default)", run: () => runWithPriority(options) },
    {
      label: "priority lanes, CRITICAL batches filled up",
      run: () => runWithPriority({ ...options, criticalBatchFill: 1 }),
    },
  ];
  const results = new Map<string, PriorityScenarioResult>();
  for (const scenario of scenarios) {
    const runs: PriorityScenarioResult[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await scenario.run());
    const median = medianResult(runs);
    results.set(scenario.label, median);
    ctx.progress(
      `${scenario.label}: CRITICAL p99 ${median.criticalLatencyMs.p99.toFixed(2)} ms, NORMAL p99 ${median.normalLatencyMs.p99.toFixed(2)} ms, NORMAL ${formatRate(median.normalPerSec)}`,
    );
  }
  const baseline = results.get("one FIFO lane (no priority)") as PriorityScenarioResult;
  const markdown = [
    "## Priority lanes",
    "",
    `A NORMAL producer keeps its lane full (capacity ${options.laneCapacity}: a backlog of ${options.laneCapacity / options.batchSize} batches of ${options.batchSize}) while a`,
    `CRITICAL record arrives every millisecond; each record costs ${options.workPerRecord.toLocaleString("en-US")} trig operations, so a batch takes a few`,
    `milliseconds on a worker. ${options.normalRecords.toLocaleString("en-US")} NORMAL records per run; each figure is the median of ${RUNS} runs.`,
    "",
    "| scenario | CRITICAL p50 | CRITICAL p99 | NORMAL p50 | NORMAL p99 | NORMAL p99 ÷ CRITICAL p99 | NORMAL records/s | vs no priority | one batch alone |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...[...results].map(
      ([label, r]) =>
        `| ${label} | ${r.criticalLatencyMs.p50.toFixed(2)} ms | ${r.criticalLatencyMs.p99.toFixed(2)} ms | ${r.normalLatencyMs.p50.toFixed(2)} ms | ${r.normalLatencyMs.p99.toFixed(2)} ms | ${ratio(r.normalLatencyMs.p99, r.criticalLatencyMs.p99)} | ${formatRate(r.normalPerSec)} | ${ratio(r.normalPerSec, baseline.normalPerSec)} | ${r.oneBatchMs.toFixed(2)} ms |`,
    ),
    "",
  ];
  const prioritized = results.get("priority lanes, CRITICAL-only batches (default)") as PriorityScenarioResult;
  const bound = 2 * prioritized.oneBatchMs;
  const p99 = prioritized.criticalLatencyMs.p99;
  const lower = prioritized.normalLatencyMs.p99 / p99;
  const kept = prioritized.normalPerSec / baseline.normalPerSec;
  return {
    markdown,
    targets: [
      targetRow(
        `CRITICAL p99 ≤ 2 × (one batch + transport) = ${bound.toFixed(2)} ms`,
        `${p99.toFixed(2)} ms`,
        p99 <= bound,
      ),
      targetRow("CRITICAL p99 ≥ 10 × lower than NORMAL p99", `${lower.toFixed(1)}×`, lower >= 10),
      targetRow("NORMAL throughput ≥ 0.9 × without priority", `${kept.toFixed(2)}×`, kept >= 0.9),
    ],
  };
}
