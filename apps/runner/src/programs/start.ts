/**
 * `bun run start`: the main pipeline on its embedded defaults. Five simulated
 * sensors → batches of 15 → four Workers → sink, for five seconds, then a
 * final report. Ctrl-C drains the same way, prints the report and exits 130.
 */
import { readFlags } from "../cli/flags.ts";
import { runSensorPipeline, type SensorPipelineReport } from "../pipelines/sensor-pipeline.ts";
import { formatKeyValues, formatTable } from "../report/text.ts";

const flags = readFlags({
  usage: "bun run start",
  summary: "Runs simulated sensors through a bounded queue and batches into a Bun Worker pool, then prints a report.",
  flags: {
    duration: { type: "number", default: 5, min: 0, max: 86_400, description: "seconds to ingest" },
    sensors: { type: "integer", default: 5, min: 1, max: 10_000, description: "simulated sensors" },
    interval: {
      type: "number",
      default: 0.05,
      min: 0.001,
      max: 3600,
      description: "seconds between readings of one sensor",
    },
    "batch-size": { type: "integer", default: 15, min: 1, max: 100_000, description: "records per batch" },
    workers: { type: "integer", default: 4, min: 1, max: 256, description: "Bun Workers in the pool" },
    seed: { type: "integer", default: 42, min: 0, max: 2 ** 32 - 1, description: "seed of the simulated values" },
  },
});

const interrupt = new AbortController();
process.once("SIGINT", () => {
  console.log("\n[start] interrupted: stopping sources and draining what was ingested...");
  interrupt.abort("SIGINT");
});

console.log(
  `[start] ${flags.sensors} sensors every ${flags.interval} s → batches of ${flags["batch-size"]} → ${flags.workers} workers, for ${flags.duration} s (seed ${flags.seed})`,
);
const report = await runSensorPipeline({
  durationSec: flags.duration,
  sensors: flags.sensors,
  intervalMs: flags.interval * 1000,
  batchSize: flags["batch-size"],
  workers: flags.workers,
  seed: flags.seed,
  signal: interrupt.signal,
});
console.log(formatReport(report));
process.exitCode = report.aborted ? 130 : report.accountedFor ? 0 : 1;

function formatReport(r: SensorPipelineReport): string {
  const perSensor = Object.entries(r.ingestion.perSource).map(([id, count]) => [id, count] as const);
  const errors = r.ingestion.errors.map((e) => `${e.sourceId}: ${e.message}`);
  return [
    "",
    "=== poolstream: final report ===",
    formatTable(["sensor", "records ingested"], perSensor),
    "",
    formatKeyValues([
      ["records ingested", r.ingestion.total],
      [
        "batches (full / partial)",
        `${r.batches.fullBatches + r.batches.partialBatches} (${r.batches.fullBatches} / ${r.batches.partialBatches})`,
      ],
      ["records processed", r.processed],
      ["anomalies (normalized > 0.8)", r.anomalies],
      ["invalid values", r.invalid],
      ["mean normalized", r.meanNormalized.toFixed(4)],
      ["source errors", errors.length === 0 ? "none" : errors.join("; ")],
      [
        "failed batches",
        r.failedBatches.length === 0 ? "none" : `${r.failedBatches.length} (${r.failedRecords} records)`,
      ],
      ["elapsed", `${r.elapsedSec.toFixed(2)} s`],
      ["throughput", `${r.throughputPerSec.toFixed(1)} records/s`],
      ["latency p50 / p99", `${r.latencyMs.p50.toFixed(1)} / ${r.latencyMs.p99.toFixed(1)} ms (createdAt → sink)`],
      [
        "check ingested = processed",
        r.accountedFor
          ? `OK (${r.ingestion.total} = ${r.processed}${r.failedRecords > 0 ? ` + ${r.failedRecords} failed` : ""})`
          : `MISMATCH (${r.ingestion.total} ingested, ${r.processed} processed, ${r.failedRecords} failed)`,
      ],
    ]),
  ].join("\n");
}
