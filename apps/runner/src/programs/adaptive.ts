/**
 * `bun run adaptive`: a pipeline with the adaptive sizer finds a batch size
 * for a light kernel and for a heavy one, and shows how it got there. The
 * expected outcome: light settles on larger batches than heavy, because for a
 * light kernel the per-batch cost of reaching a Worker dominates.
 * `bun run adaptive:tally` runs it many times and counts the outcomes.
 */
import { AdaptiveSizer, type BatchSizeSample, type CostModel } from "@poolstream/batching";
import type { SensorRecord } from "@poolstream/core";
import { generateSensorRecords } from "@poolstream/ingest";
import { lightHeavyTransport, type TransportName } from "@poolstream/kernels";
import { type PipelineReport, pipeline } from "@poolstream/pipeline";
import { WorkerPool } from "@poolstream/pool";
import { readFlags } from "../cli/flags.ts";
import { exitCodeAfter, interruptSignal } from "../cli/interrupt.ts";
import { JSON_FLAG, printJson } from "../cli/json-output.ts";
import { formatAccounting } from "../report/pipeline-text.ts";
import { formatBarChart, formatKeyValues, formatNumber, formatTable } from "../report/text.ts";

const flags = readFlags({
  usage: "bun run adaptive",
  summary: "Finds the batch size for a light and a heavy kernel from each batch's measured cost.",
  flags: {
    json: JSON_FLAG,
    records: { type: "integer", default: 5000, min: 1, max: 100_000_000, description: "records per kernel" },
    workers: { type: "integer", default: 2, min: 1, max: 256, description: "Bun Workers in the pool" },
    seed: { type: "integer", default: 42, min: 0, max: 2 ** 32 - 1, description: "seed of the record values" },
    transport: {
      type: "choice",
      choices: ["columnar", "objects"],
      default: "columnar",
      description: "how batches travel to the workers",
    },
    strategy: {
      type: "choice",
      choices: ["cost-model", "hill-climb"],
      default: "cost-model",
      description: "how the sizer decides: a fit of the cost model, or the monitor's hill climb",
    },
  },
});

await using pool = new WorkerPool({ size: flags.workers });
const interrupt = interruptSignal("adaptive");
console.error(
  `[adaptive] warming up, then ${formatNumber(flags.records)} records per kernel (Ctrl-C stops it with a report)`,
);
const records = generateSensorRecords({ count: flags.records, seed: flags.seed });

/** One pipeline: the records through `transport` with a fresh adaptive sizer. */
async function adapt(transport: ReturnType<typeof lightHeavyTransport>, input: readonly SensorRecord[]) {
  const sizer = new AdaptiveSizer({ strategy: flags.strategy });
  const report: PipelineReport = await pipeline({ source: input, executor: pool, transport, sizer }).run(interrupt);
  // Interrupted, a run ends early with what it had computed: fewer results, all accounted for.
  if (!report.accounting.holds || (!interrupt.aborted && report.accounting.results !== input.length)) {
    throw new Error(`records went missing: ${report.accounting.results} of ${input.length}`);
  }
  return { sizer, report };
}

// Warm up every path a batch takes (cutting, encoding, the pool, both kernels on every worker) on
// throwaway pipelines, so JIT compilation and module loading do not pass for batch cost.
const warmUpRecords = generateSensorRecords({ count: 20_000, seed: flags.seed + 1 });
for (const { transport } of kernelsFor(flags.transport)) if (!interrupt.aborted) await adapt(transport, warmUpRecords);
Bun.gc(true); // start the measured runs from a collected heap, not in the middle of the warm-up's garbage

const outcomes: number[] = [];
/** What each kernel's run found, for --json. */
const adapted: unknown[] = [];
for (const { name, transport } of kernelsFor(flags.transport)) {
  if (interrupt.aborted) break;
  const { sizer, report } = await adapt(transport, records);
  outcomes.push(sizer.settledSize);
  adapted.push({
    kernel: name,
    settledSize: sizer.settledSize,
    costModel: sizer.costModel ?? null,
    throughputMonitorPick: sizer.monitor.recommendedBatchSize() ?? null,
    history: sizer.history,
    report,
  });
  const count = report.accounting.results.toLocaleString("en-US");
  console.log(
    `\n=== ${name}: ${count} records in ${report.counters.batchesCut} batches, ${transport.name} transport ===`,
  );
  const segments = segmentsOf(sizer.history);
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
      ["size it settled on (the sizer's pick for the next batch)", sizer.settledSize],
      ["fitted cost per batch", formatModel(sizer.costModel)],
      [
        "best size by throughput, last 10 batches (a second opinion, not used)",
        sizer.monitor.recommendedBatchSize() ?? "none",
      ],
      ["throughput", `${Math.round(report.throughputPerSec).toLocaleString("en-US")} records/s`],
      ["check", formatAccounting(report.accounting)],
    ]),
  );
}

if (outcomes.length === 2) {
  const [light = 0, heavy = 0] = outcomes;
  const verdict = light > heavy ? "light above heavy, as expected" : "light NOT above heavy";
  console.log(`\nlight settled at ${light}, heavy at ${heavy}: ${verdict}`);
} else {
  console.log(`\ninterrupted: ${outcomes.length} of 2 kernels adapted`);
}
if (flags.json) printJson({ program: "adaptive", kernels: adapted, interrupted: interrupt.aborted });
process.exitCode = exitCodeAfter(interrupt, 0);

function formatModel(model: CostModel | undefined): string {
  if (model === undefined) return "none (hill climb)";
  return `${(model.overheadMs * 1000).toFixed(1)} µs + size × ${(model.perRecordMs * 1000).toFixed(3)} µs`;
}

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
function segmentsOf(unordered: readonly BatchSizeSample[]): Segment[] {
  // The sizer records batches as they return; the chart shows them as they were cut.
  const history = [...unordered].sort((a, b) => a.batchIndex - b.batchIndex);
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
