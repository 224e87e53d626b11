/**
 * `bun run adaptive`: lets the adaptive processor find a batch size for a
 * light kernel and for a heavy one, and shows how it got there. The expected
 * outcome: light settles on larger batches than heavy, because for light
 * kernels the per-batch cost of reaching a Worker dominates.
 */
import { AdaptiveBatchProcessor, type BatchSizeSample } from "@poolstream/batching";
import type { SensorRecord } from "@poolstream/core";
import { generateSensorRecords } from "@poolstream/ingest";
import { computeHeavyBatch, computeLightBatch, WorkerPool } from "@poolstream/pool";
import { readFlags } from "../cli/flags.ts";
import { formatBarChart, formatKeyValues, formatTable } from "../report/text.ts";

const flags = readFlags({
  usage: "bun run adaptive",
  summary: "Finds the batch size for a light and a heavy kernel from measured worker throughput.",
  flags: {
    records: { type: "integer", default: 5000, min: 1, max: 100_000_000, description: "records per kernel" },
    workers: { type: "integer", default: 2, min: 1, max: 256, description: "Bun Workers in the pool" },
    seed: { type: "integer", default: 42, min: 0, max: 2 ** 32 - 1, description: "seed of the record values" },
  },
});

await using pool = new WorkerPool({ size: flags.workers });
const records = generateSensorRecords({ count: flags.records, seed: flags.seed });
// Warm up both kernels on every worker first, so module loading and JIT do not pass for batch cost.
const warmUp = generateSensorRecords({ count: 200, seed: flags.seed + 1 });
for (let round = 0; round < 50; round++) {
  await Promise.all(
    Array.from({ length: flags.workers }, () =>
      Promise.all([pool.run(computeLightBatch, warmUp), pool.run(computeHeavyBatch, warmUp)]),
    ),
  );
}

const outcomes: { name: string; finalBatchSize: number }[] = [];
for (const [name, kernel] of [
  ["light (1 arithmetic op per record)", computeLightBatch],
  ["heavy (100 trig ops per record)", computeHeavyBatch],
] as const) {
  const processor = new AdaptiveBatchProcessor<SensorRecord, number>({ pool, computeFn: kernel });
  const results = await processor.process(records);
  const run = processor.lastRun;
  if (run === undefined || results.length !== records.length) throw new Error(`${name}: lost records`);
  outcomes.push({ name, finalBatchSize: run.finalBatchSize });
  console.log(`\n=== ${name}: ${run.records.toLocaleString("en-US")} records in ${run.batches} batches ===`);
  const segments = segmentsOf(processor.batchSizeHistory);
  console.log("\nbatch size over time (one bar per run of equal-sized batches, in the order they were cut):");
  console.log(
    formatBarChart(
      segments.map((s) => [`batches ${s.first}-${s.last}`, s.size] as const),
      40,
    ),
  );
  console.log("\nhistory:");
  console.log(
    formatTable(
      ["batches", "size", "round", "µs/record (median)"],
      segments.map((s) => [`${s.first}-${s.last}`, s.size, s.kind, Number((s.medianMsPerRecord * 1000).toFixed(2))]),
    ),
  );
  console.log("");
  console.log(
    formatKeyValues([
      ["final batch size", run.finalBatchSize],
      ["recommended by the monitor", run.recommendedBatchSize ?? "none"],
      ["throughput", `${Math.round(run.recordsPerSec).toLocaleString("en-US")} records/s`],
    ]),
  );
}

const [light, heavy] = outcomes as [(typeof outcomes)[0], (typeof outcomes)[0]];
const verdict = light.finalBatchSize > heavy.finalBatchSize ? "as expected" : "NOT as expected";
console.log(`\nlight settled at ${light.finalBatchSize}, heavy at ${heavy.finalBatchSize}: ${verdict}`);

interface Segment {
  readonly first: number;
  readonly last: number;
  readonly size: number;
  readonly kind: string;
  readonly medianMsPerRecord: number;
}

function segmentsOf(history: readonly BatchSizeSample[]): Segment[] {
  const segments: Segment[] = [];
  let start = 0;
  for (let i = 1; i <= history.length; i++) {
    const current = history[i];
    const first = history[start] as BatchSizeSample;
    if (current !== undefined && current.batchSize === first.batchSize) continue;
    const costs = history
      .slice(start, i)
      .map((s) => s.msPerRecord)
      .sort((a, b) => a - b);
    segments.push({
      first: first.batchIndex,
      last: (history[i - 1] as BatchSizeSample).batchIndex,
      size: first.batchSize,
      kind: first.round,
      medianMsPerRecord: costs[Math.floor(costs.length / 2)] ?? 0,
    });
    start = i;
  }
  return segments;
}
