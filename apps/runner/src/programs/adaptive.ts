/**
 * `bun run adaptive`: lets the adaptive processor find a batch size for a
 * light kernel and for a heavy one, and shows how it got there. The expected
 * outcome: light settles on larger batches than heavy, because for a light
 * kernel the per-batch cost of reaching a Worker dominates.
 */
import { AdaptiveBatchProcessor, type BatchSizeSample } from "@poolstream/batching";
import type { SensorRecord } from "@poolstream/core";
import { generateSensorRecords } from "@poolstream/ingest";
import { lightHeavyTransport, type TransportName, WorkerPool } from "@poolstream/pool";
import { readFlags } from "../cli/flags.ts";
import { formatBarChart, formatKeyValues, formatTable } from "../report/text.ts";

const flags = readFlags({
  usage: "bun run adaptive",
  summary: "Finds the batch size for a light and a heavy kernel from measured worker throughput.",
  flags: {
    records: { type: "integer", default: 5000, min: 1, max: 100_000_000, description: "records per kernel" },
    workers: { type: "integer", default: 2, min: 1, max: 256, description: "Bun Workers in the pool" },
    seed: { type: "integer", default: 42, min: 0, max: 2 ** 32 - 1, description: "seed of the record values" },
    transport: {
      type: "string",
      default: "columnar",
      placeholder: "columnar|objects",
      description: "how batches travel to the workers",
    },
  },
});
if (flags.transport !== "columnar" && flags.transport !== "objects") {
  console.error(`bun run adaptive: --transport must be "columnar" or "objects", got "${flags.transport}" (see --help)`);
  process.exit(2);
}

await using pool = new WorkerPool({ size: flags.workers });
const records = generateSensorRecords({ count: flags.records, seed: flags.seed });

// Warm up every path a batch takes (cutting, encoding, the pool, both kernels on every worker) on
// throwaway processors, so JIT compilation and module loading do not pass for batch cost.
const warmUpRecords = generateSensorRecords({ count: 20_000, seed: flags.seed + 1 });
for (const { transport } of kernelsFor(flags.transport)) {
  await new AdaptiveBatchProcessor<SensorRecord, number>({ pool, transport }).process(warmUpRecords);
}
Bun.gc(true); // start the measured runs from a collected heap, not in the middle of the warm-up's garbage

const outcomes: number[] = [];
for (const { name, transport } of kernelsFor(flags.transport)) {
  const processor = new AdaptiveBatchProcessor<SensorRecord, number>({ pool, transport });
  const results = await processor.process(records);
  const run = processor.lastRun;
  if (run === undefined || results.length !== records.length) throw new Error(`${name}: records went missing`);
  outcomes.push(run.finalBatchSize);
  const count = run.records.toLocaleString("en-US");
  console.log(`\n=== ${name}: ${count} records in ${run.batches} batches, ${transport.name} transport ===`);
  const segments = segmentsOf(processor.batchSizeHistory);
  console.log("\nbatch size over time (a bar per run of equal-sized batches, in the order they were cut):");
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
      ["monitor's pick, last 10 batches", run.recommendedBatchSize ?? "none"],
      ["throughput", `${Math.round(run.recordsPerSec).toLocaleString("en-US")} records/s`],
    ]),
  );
}

const [light = 0, heavy = 0] = outcomes;
const verdict = light > heavy ? "light above heavy, as expected" : "light NOT above heavy";
console.log(`\nlight settled at ${light}, heavy at ${heavy}: ${verdict}`);

function kernelsFor(wire: TransportName) {
  return [
    { name: "light (1 arithmetic op per record)", transport: lightHeavyTransport("light", wire) },
    { name: "heavy (100 trig ops per record)", transport: lightHeavyTransport("heavy", wire) },
  ];
}

interface Segment {
  readonly first: number;
  readonly last: number;
  readonly size: number;
  readonly kind: string;
  readonly medianMsPerRecord: number;
}

/** Runs of equal-sized batches, in the order they were cut. */
function segmentsOf(history: readonly BatchSizeSample[]): Segment[] {
  const segments: Segment[] = [];
  let start = 0;
  for (let i = 1; i <= history.length; i++) {
    const first = history[start] as BatchSizeSample;
    if (history[i]?.batchSize === first.batchSize) continue;
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
