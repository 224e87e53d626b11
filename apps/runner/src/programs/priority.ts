/**
 * `bun run priority`: simulated sensors whose readings are 20 % CRITICAL feed
 * a two-lane priority queue faster than the workers can drain it, so a NORMAL
 * backlog builds up; CRITICAL records overtake it. Prints the counts, the
 * latency of each lane, and every record with an urgency above 50.
 */
import type { Distribution } from "@poolstream/core";
import { AsyncIngestionLayer, AsyncSensorSource, type RecordTarget } from "@poolstream/ingest";
import { WorkerPool } from "@poolstream/pool";
import {
  classify,
  PriorityBatchQueue,
  PriorityPoolProcessor,
  type PriorityResult,
  priorityColumnarTransport,
  priorityValueGenerator,
} from "@poolstream/priority";
import { readFlags } from "../cli/flags.ts";
import { formatKeyValues, formatTable } from "../report/text.ts";

const flags = readFlags({
  usage: "bun run priority",
  summary: "CRITICAL readings jump a NORMAL backlog; reports latency per lane and the most urgent records.",
  flags: {
    duration: { type: "number", default: 3, min: 0, max: 86_400, description: "seconds to ingest" },
    workers: { type: "integer", default: 2, min: 1, max: 256, description: "Bun Workers in the pool" },
    "batch-size": { type: "integer", default: 10, min: 1, max: 100_000, description: "records per batch" },
    seed: { type: "integer", default: 42, min: 0, max: 2 ** 32 - 1, description: "seed of the simulated values" },
    "critical-share": { type: "number", default: 0.2, min: 0, max: 1, description: "share of CRITICAL readings" },
    sensors: { type: "integer", default: 20, min: 1, max: 10_000, description: "simulated sensors" },
    interval: {
      type: "number",
      default: 0.001,
      min: 0.0001,
      max: 3600,
      description: "seconds between readings of one sensor",
    },
    work: {
      type: "integer",
      default: 10_000,
      min: 0,
      max: 10_000_000,
      description: "simulated analysis per record, in trig operations (enough to build a backlog)",
    },
  },
});

const queue = new PriorityBatchQueue({ capacity: 100 });
const sources = Array.from(
  { length: flags.sensors },
  (_, i) =>
    new AsyncSensorSource({
      id: `sensor-${i + 1}`,
      intervalMs: flags.interval * 1000,
      seed: flags.seed,
      valueGenerator: priorityValueGenerator(flags["critical-share"]),
    }),
);
// Each reading goes to its lane; a full NORMAL lane holds up only NORMAL puts.
const ingestion = new AsyncIngestionLayer<RecordTarget>(sources, {
  target: { put: (record) => queue.put(record, classify(record)), close: () => queue.close() },
});
await using pool = new WorkerPool({ size: flags.workers });
const urgent: Extract<PriorityResult, { urgencyScore: number }>[] = [];
const processor = new PriorityPoolProcessor({
  queue,
  pool,
  batchSize: flags["batch-size"],
  transport: priorityColumnarTransport(flags.work),
  onResults: (results) => {
    for (const result of results) if ("urgencyScore" in result && result.urgencyScore > 50) urgent.push(result);
  },
});

const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort("SIGINT"));
console.log(
  `[priority] ${flags.sensors} sensors every ${flags.interval} s, ${Math.round(flags["critical-share"] * 100)} % CRITICAL → batches of ${flags["batch-size"]} → ${flags.workers} workers, for ${flags.duration} s`,
);
const progress = setInterval(() => {
  const s = processor.stats();
  const q = queue.stats();
  console.log(
    `[priority] processed ${s.criticalProcessed + s.normalProcessed} (CRITICAL ${s.criticalProcessed}) · waiting: CRITICAL ${q.critical}, NORMAL ${q.normal}`,
  );
}, 1000);
const [ingested, stats] = await Promise.all([
  ingestion.run(flags.duration, { signal: interrupt.signal }),
  processor.run(),
]);
clearInterval(progress);

const ms = (d: Distribution, p: keyof Distribution) => `${d[p].toFixed(2)} ms`;
const total = stats.criticalProcessed + stats.normalProcessed;
console.log("\n=== poolstream priority lanes: report ===");
console.log(
  formatKeyValues([
    ["records ingested", ingested.total],
    ["total processed", total],
    ["CRITICAL processed", stats.criticalProcessed],
    ["NORMAL processed", stats.normalProcessed],
    ["failed batches", stats.failedBatches === 0 ? "none" : `${stats.failedBatches} (${stats.failedRecords} records)`],
    ["throughput", `${Math.round(total / (stats.elapsedMs / 1000)).toLocaleString("en-US")} records/s`],
  ]),
);
console.log("\nlatency, createdAt → result returned:");
console.log(
  formatTable(
    ["lane", "mean", "p50", "p95", "p99", "max"],
    [
      ["CRITICAL", ...(["mean", "p50", "p95", "p99", "max"] as const).map((p) => ms(stats.criticalLatencyMs, p))],
      ["NORMAL", ...(["mean", "p50", "p95", "p99", "max"] as const).map((p) => ms(stats.normalLatencyMs, p))],
    ],
  ),
);
const speedup = stats.normalLatencyMs.p99 / Math.max(stats.criticalLatencyMs.p99, 1e-9);
console.log(`\nCRITICAL p99 is ${speedup.toFixed(1)}× lower than NORMAL p99.`);
console.log(`\nrecords with urgencyScore > 50 (${urgent.length}):`);
const lines = urgent.map(
  (r) =>
    `${`${r.sensorId}#${r.seq}`.padEnd(16)} value ${r.value.toFixed(2).padStart(6)}  urgency ${r.urgencyScore.toFixed(1)}`,
);
for (let i = 0; i < lines.length; i += 3) console.log(`  ${lines.slice(i, i + 3).join("   ")}`);
const accounted = total + stats.failedRecords === ingested.total;
console.log(
  `\ncheck ingested = processed: ${accounted ? "OK" : "MISMATCH"} (${ingested.total} = ${total} + ${stats.failedRecords} failed)`,
);
process.exitCode = interrupt.signal.aborted ? 130 : accounted ? 0 : 1;
