/** The parts of a pipeline report every program prints the same way: latency per lane, batch sizes, the accounting line. */
import type { Accounting, PipelineReport, PipelineStats } from "@poolstream/pipeline";
import { formatBarChart, formatNumber, formatTable } from "./text.ts";

const ms = (value: number) => `${value.toFixed(2)} ms`;

/**
 * One row per lane: records delivered and their latency, creation → delivery
 * to the sinks. A lane that delivered nothing has no latency: n/a, not 0.
 */
export function formatLaneLatency(stats: PipelineStats): string {
  return formatTable(
    ["lane", "records", "mean", "p50", "p95", "p99", "max"],
    stats.lanes.map((lane) => {
      const d = lane.latencyMs;
      const shown = (value: number) => (lane.delivered === 0 ? "n/a" : ms(value));
      return [lane.name, lane.delivered, shown(d.mean), shown(d.p50), shown(d.p95), shown(d.p99), shown(d.max)];
    }),
  );
}

/** `entered = results + error records + poison pills + dead letters (+ what a failure left): OK`. */
export function formatAccounting(a: Accounting): string {
  const parts = [
    `${formatNumber(a.results)} results`,
    `${formatNumber(a.errorRecords)} error records`,
    `${formatNumber(a.poisonPills)} poison pills`,
    `${formatNumber(a.deadLetters)} dead letters`,
  ];
  if (a.unwritten > 0) parts.push(`${formatNumber(a.unwritten)} not written`);
  if (a.leftInLanes > 0) parts.push(`${formatNumber(a.leftInLanes)} left in the lanes`);
  return `${formatNumber(a.entered)} entered = ${parts.join(" + ")}: ${a.holds ? "OK" : "MISMATCH"}`;
}

/** The batch size over the run, a bar per size held, or one line when it never changed. */
export function formatSizeHistory(report: PipelineReport): string {
  const history = report.sizeHistory;
  if (history.length <= 1) return `  batch size ${history[0]?.size ?? report.batchSize} throughout`;
  const rows = history.map((change, i) => {
    const last = (history[i + 1]?.batch ?? report.counters.batchesCut) - 1;
    return [`batches ${change.batch}-${Math.max(change.batch, last)}`, change.size] as const;
  });
  return formatBarChart(rows, 40);
}

/** A one-line status, about once a second. */
export function formatStatus(program: string, stats: PipelineStats): string {
  const depth = stats.lanes.map((lane) => `${lane.name} ${lane.depth}`).join(", ");
  const a = stats.accounting;
  const out = a.results + a.errorRecords + a.poisonPills + a.deadLetters;
  const { failedCalls, recoveries } = stats.counters;
  const failures =
    failedCalls === 0
      ? ""
      : ` · failed calls ${formatNumber(failedCalls)}, recovered ${formatNumber(recoveries)}, dead letters ${formatNumber(a.deadLetters)}`;
  return (
    `[${program}] ${(stats.elapsedMs / 1000).toFixed(1)} s · ${formatNumber(a.entered)} in · ${formatNumber(out)} out · ` +
    `waiting: ${depth} · in flight ${stats.inFlight} · batch ${stats.batchSize} · ` +
    `${formatNumber(Math.round(stats.throughputPerSec))} records/s${failures}`
  );
}
