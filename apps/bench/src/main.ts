/**
 * `bun run bench`: measures poolstream's throughput against its own ceilings,
 * in one run, on this machine, and writes a markdown report. Every figure is
 * the median of several whole runs over the same records.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { generateSensorRecords } from "@poolstream/ingest";
import {
  columnarTransport,
  computeBatch,
  computeBatchColumnar,
  computeHeavyBatch,
  computeHeavyColumnar,
  computeLightBatch,
  computeLightColumnar,
  objectTransport,
  WorkerPool,
} from "@poolstream/pool";
import { heldCompute, type KernelName, measureHeldComputeMs } from "./ceiling-kernels.ts";
import { type AnyTransport, runAdaptive, runFixed } from "./drivers.ts";
import { formatRate, measureThroughput, ratio, type Throughput } from "./measure.ts";
import { type PriorityScenarioResult, runWithoutPriority, runWithPriority } from "./priority-scenario.ts";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "100000" },
    samples: { type: "string", default: "5" },
    out: { type: "string", default: new URL("../REPORT.md", import.meta.url).pathname },
    help: { type: "boolean" },
  },
});
if (args.help) {
  console.log("Usage: bun run bench [--records N] [--samples N] [--out report.md]");
  process.exit(0);
}
const recordCount = Number(args.records);
const samples = Number(args.samples);
if (!Number.isInteger(recordCount) || recordCount < 1000 || !Number.isInteger(samples) || samples < 1) {
  console.error("bun run bench: --records must be an integer >= 1000 and --samples >= 1");
  process.exit(2);
}

const WORKERS = 2;
const FIXED_SIZES = [5, 15, 50, 100, 200] as const;
const records = generateSensorRecords({ count: recordCount, seed: 7 });
await using pool = new WorkerPool({ size: WORKERS });
const maxInFlight = WORKERS * pool.pipelineDepth;
const report: string[] = [];
const progress = (line: string) => console.log(`[bench] ${line}`);

const kernels: Record<"light" | "heavy", { objects: AnyTransport; columnar: AnyTransport }> = {
  light: { objects: objectTransport(computeLightBatch), columnar: columnarTransport(computeLightColumnar) },
  heavy: { objects: objectTransport(computeHeavyBatch), columnar: columnarTransport(computeHeavyColumnar) },
};
// The standard kernel too, so its ceiling is on record for the pipeline.
void computeBatch;
void computeBatchColumnar;

// --- ceilings -------------------------------------------------------------------------------
const singleThread = new Map<KernelName, Throughput>();
const twoWorker = new Map<KernelName, Throughput>();
for (const kernel of ["light", "heavy", "standard"] as const) {
  singleThread.set(
    kernel,
    await measureThroughput(recordCount, samples, async () =>
      measureHeldComputeMs({ kernel, records: recordCount, batchSize: 200 }),
    ),
  );
  const half = { kernel, records: Math.ceil(recordCount / WORKERS), batchSize: 200 };
  twoWorker.set(
    kernel,
    await measureThroughput(recordCount, samples, () =>
      Promise.all(Array.from({ length: WORKERS }, () => pool.run(heldCompute, half))),
    ),
  );
  progress(
    `ceiling ${kernel}: 1 thread ${formatRate(singleThread.get(kernel)?.recordsPerSec ?? 0)}, ${WORKERS} workers ${formatRate(twoWorker.get(kernel)?.recordsPerSec ?? 0)}`,
  );
}

// --- adaptive batching: fixed sizes versus the adaptive processor ----------------------------
interface Row {
  readonly label: string;
  readonly throughput: Throughput;
  readonly note?: string;
}
const adaptiveRows = new Map<string, Row[]>();
for (const kernel of ["light", "heavy"] as const) {
  for (const transportName of ["objects", "columnar"] as const) {
    const transport = kernels[kernel][transportName];
    const rows: Row[] = [];
    for (const size of FIXED_SIZES) {
      const throughput = await measureThroughput(recordCount, samples, () =>
        runFixed(pool, transport, records, size, maxInFlight),
      );
      rows.push({ label: `fixed ${size}`, throughput });
      progress(`${kernel} ${transportName} fixed ${size}: ${formatRate(throughput.recordsPerSec)}`);
    }
    const finalSizes: number[] = [];
    const throughput = await measureThroughput(recordCount, samples, async () => {
      finalSizes.push((await runAdaptive(pool, transport, records)).finalBatchSize);
    });
    rows.push({ label: "adaptive", throughput, note: `settled at ${finalSizes.join(", ")}` });
    progress(
      `${kernel} ${transportName} adaptive: ${formatRate(throughput.recordsPerSec)} (settled at ${finalSizes.join(", ")})`,
    );
    adaptiveRows.set(`${kernel}/${transportName}`, rows);
  }
}

// --- priority lanes under a saturating load ---------------------------------------------------
const PRIORITY_RUNS = 3;
const priorityOptions = { pool, normalRecords: 3000, batchSize: 10, workPerRecord: 10_000, laneCapacity: 100 };
const priorityScenarios: { label: string; run: () => Promise<PriorityScenarioResult> }[] = [
  { label: "single FIFO lane (no priority)", run: () => runWithoutPriority(priorityOptions) },
  { label: "priority, full batches (default)", run: () => runWithPriority(priorityOptions) },
  {
    label: "priority, CRITICAL-only batches",
    run: () => runWithPriority({ ...priorityOptions, criticalBatchFill: 0 }),
  },
];
const priorityResults = new Map<string, PriorityScenarioResult>();
for (const scenario of priorityScenarios) {
  const runs: PriorityScenarioResult[] = [];
  for (let i = 0; i < PRIORITY_RUNS; i++) runs.push(await scenario.run());
  // The run with the median CRITICAL p99 stands for the scenario.
  runs.sort((a, b) => a.criticalLatencyMs.p99 - b.criticalLatencyMs.p99);
  const median = runs[Math.floor(runs.length / 2)] as PriorityScenarioResult;
  priorityResults.set(scenario.label, median);
  progress(
    `${scenario.label}: CRITICAL p99 ${median.criticalLatencyMs.p99.toFixed(2)} ms, NORMAL p99 ${median.normalLatencyMs.p99.toFixed(2)} ms, NORMAL ${formatRate(median.normalPerSec)}`,
  );
}

// --- report ---------------------------------------------------------------------------------
const cpu = cpus()[0]?.model ?? "unknown CPU";
report.push(
  "# poolstream benchmark report",
  "",
  `Bun ${Bun.version}, ${cpus().length} cores (${cpu}), ${WORKERS} workers, ${recordCount.toLocaleString("en-US")} records per run, median of ${samples} runs (mitata), pipeline depth ${pool.pipelineDepth} per worker. Generated by \`bun run bench\` on ${new Date().toISOString().slice(0, 10)}.`,
  "",
  "## Ceilings",
  "",
  "Compute only, on values the thread already holds (no transport).",
  "",
  "| kernel | single thread | two workers |",
  "| --- | ---: | ---: |",
  ...(["light", "heavy", "standard"] as const).map(
    (k) =>
      `| ${k} | ${formatRate(singleThread.get(k)?.recordsPerSec ?? 0)} | ${formatRate(twoWorker.get(k)?.recordsPerSec ?? 0)} |`,
  ),
  "",
  "## Adaptive batch sizing",
  "",
  "Each kernel through the pool at fixed batch sizes and through a fresh `AdaptiveBatchProcessor` (its exploration included).",
  "Ratios: to the two-worker ceiling of the kernel, and to the best fixed size of the same kernel and transport.",
  "",
);
const targets: string[] = [];
for (const [key, rows] of adaptiveRows) {
  const [kernel, transportName] = key.split("/") as ["light" | "heavy", string];
  const ceiling = twoWorker.get(kernel)?.recordsPerSec ?? 0;
  const fixed = rows.filter((r) => r.label.startsWith("fixed"));
  const best = fixed.reduce((a, b) => (b.throughput.recordsPerSec > a.throughput.recordsPerSec ? b : a));
  report.push(
    `### ${kernel} kernel, ${transportName}`,
    "",
    "| batches | records/s | vs 2-worker ceiling | vs best fixed | |",
    "| --- | ---: | ---: | ---: | --- |",
    ...rows.map(
      (r) =>
        `| ${r.label} | ${formatRate(r.throughput.recordsPerSec)} | ${ratio(r.throughput.recordsPerSec, ceiling)} | ${ratio(r.throughput.recordsPerSec, best.throughput.recordsPerSec)} | ${r === best ? "best fixed" : (r.note ?? "")} |`,
    ),
    "",
  );
  const adaptive = rows.find((r) => r.label === "adaptive");
  if (adaptive !== undefined) {
    const achieved = adaptive.throughput.recordsPerSec / best.throughput.recordsPerSec;
    targets.push(
      `| adaptive ≥ 0.95 × best fixed size (${kernel}, ${transportName}) | ${achieved.toFixed(2)} | ${achieved >= 0.95 ? "met" : "missed"} |`,
    );
  }
  if (kernel === "heavy" && transportName === "objects") {
    const at200 = rows.find((r) => r.label === "fixed 200")?.throughput.recordsPerSec ?? 0;
    const achieved = at200 / ceiling;
    targets.push(
      `| heavy, objects, batch 200 ≥ 0.55 × two-worker ceiling | ${achieved.toFixed(2)} | ${achieved >= 0.55 ? "met" : "missed"} |`,
    );
  }
}
const baseline = priorityResults.get("single FIFO lane (no priority)");
report.push(
  "## Priority lanes",
  "",
  `A NORMAL producer keeps its lane full (capacity ${priorityOptions.laneCapacity}, a backlog of ${priorityOptions.laneCapacity / priorityOptions.batchSize} batches of ${priorityOptions.batchSize}) while a CRITICAL record arrives every millisecond; each record costs ${priorityOptions.workPerRecord.toLocaleString("en-US")} trig operations (the heavy kernel's work, ×100). ${priorityOptions.normalRecords.toLocaleString("en-US")} NORMAL records per run; the run with the median CRITICAL p99 of ${PRIORITY_RUNS} is shown.`,
  "",
  "| scenario | CRITICAL p50 | CRITICAL p99 | NORMAL p50 | NORMAL p99 | NORMAL p99 ÷ CRITICAL p99 | NORMAL records/s | vs no priority | one batch |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...[...priorityResults].map(
    ([label, r]) =>
      `| ${label} | ${r.criticalLatencyMs.p50.toFixed(2)} ms | ${r.criticalLatencyMs.p99.toFixed(2)} ms | ${r.normalLatencyMs.p50.toFixed(2)} ms | ${r.normalLatencyMs.p99.toFixed(2)} ms | ${ratio(r.normalLatencyMs.p99, r.criticalLatencyMs.p99)} | ${formatRate(r.normalPerSec)} | ${ratio(r.normalPerSec, baseline?.normalPerSec ?? 0)} | ${r.oneBatchMs.toFixed(2)} ms |`,
  ),
  "",
);
const prioritized = priorityResults.get("priority, full batches (default)");
if (prioritized !== undefined && baseline !== undefined) {
  const bound = 2 * prioritized.oneBatchMs;
  const p99 = prioritized.criticalLatencyMs.p99;
  const lower = prioritized.normalLatencyMs.p99 / p99;
  const kept = prioritized.normalPerSec / baseline.normalPerSec;
  targets.push(
    `| CRITICAL p99 ≤ 2 × (one batch + transport) = ${bound.toFixed(2)} ms | ${p99.toFixed(2)} ms | ${p99 <= bound ? "met" : "missed"} |`,
    `| CRITICAL p99 ≥ 10× lower than NORMAL p99 | ${lower.toFixed(1)}× | ${lower >= 10 ? "met" : "missed"} |`,
    `| NORMAL throughput ≥ 0.9 × without priority | ${kept.toFixed(2)} | ${kept >= 0.9 ? "met" : "missed"} |`,
  );
}
report.push("## Targets", "", "| target | measured | |", "| --- | ---: | --- |", ...targets, "");
writeFileSync(args.out, `${report.join("\n")}\n`);
progress(`report written to ${args.out}`);
console.log(`\n${targets.join("\n")}`);
