/**
 * `bun run bench`: measures poolstream in one run on this machine (ceilings,
 * the pipeline's overhead, adaptive batch sizing, the peers, priority lanes,
 * memory) and writes a markdown report with every figure as a ratio to its
 * ceiling, its peers or the direct loop. Every poolstream figure is a run of
 * `pipeline(...)`; throughputs are medians of several whole passes (mitata).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateSensorRecords } from "@poolstream/ingest";
import { WorkerPool } from "@poolstream/pool";
import { progressBar } from "@poolstream/runner/report/progress";
import { adaptiveSection } from "./sections/adaptive.ts";
import { burstSection } from "./sections/burst.ts";
import { ceilingsMarkdown, measureCeilings } from "./sections/ceilings.ts";
import { ioSection } from "./sections/io.ts";
import { isolationSection } from "./sections/isolation.ts";
import { latencySection } from "./sections/latency.ts";
import { memorySection } from "./sections/memory.ts";
import { metricsSection } from "./sections/metrics.ts";
import { overheadSection } from "./sections/overhead.ts";
import { peersSection } from "./sections/peers.ts";
import { prioritySection } from "./sections/priority.ts";
import { scaleOutSection } from "./sections/scaleout.ts";
import type { BenchContext, SectionReport } from "./sections/section.ts";
import { transportsSection } from "./sections/transports.ts";

const SECTIONS = [
  "overhead",
  "adaptive",
  "latency",
  "peers",
  "transports",
  "burst",
  "priority",
  "isolation",
  "io",
  "scaleout",
  "metrics",
  "memory",
] as const;
type SectionName = (typeof SECTIONS)[number];
const COMMITTED_REPORT = new URL("../REPORT.md", import.meta.url).pathname;
const USAGE = "Usage: bun run bench [--records N] [--samples N] [--only SECTIONS] [--out FILE | --write]";
const HELP = `${USAGE}

Measures poolstream's pipeline against its ceilings, a direct runBatch loop and poolifier, piscina and
tinypool, all in one run on this machine, and writes a markdown report.

Flags:
  --records N    records per pass (default 100000, at least 1000)
  --samples N    passes per figure, at least (default 5)
  --only LIST    sections to run, comma-separated (default all): ${SECTIONS.join(", ")}
  --out FILE     where the report goes (default: a new file in the temporary directory, printed at the end)
  --write        write the committed report, apps/bench/REPORT.md (for a full run with the default settings)
  --json         print where the report is and each target as one JSON object (progress goes to standard error)
  --help         show this help`;

function fail(message: string): never {
  console.error(`bun run bench: ${message} (see --help)`);
  process.exit(2);
}

let args: {
  records: string;
  samples: string;
  out?: string;
  only?: string;
  write?: boolean;
  json?: boolean;
  help?: boolean;
};
try {
  args = parseArgs({
    options: {
      records: { type: "string", default: "100000" },
      samples: { type: "string", default: "5" },
      out: { type: "string" },
      write: { type: "boolean" },
      json: { type: "boolean" },
      only: { type: "string" },
      help: { type: "boolean" },
    },
  }).values as typeof args;
} catch (error) {
  fail((error as Error).message.split("\n")[0] ?? "bad arguments");
}
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
if (args.write && args.out !== undefined) fail("--write and --out both say where the report goes: give one");
// The committed report is written only when asked: a quick run with small settings must not overwrite it.
const outPath =
  args.write === true
    ? COMMITTED_REPORT
    : (args.out ?? join(mkdtempSync(join(tmpdir(), "poolstream-bench-")), "REPORT.md"));
const recordCount = Number(args.records);
const samples = Number(args.samples);
if (!Number.isInteger(recordCount) || recordCount < 1000) fail("--records must be an integer >= 1000");
if (!Number.isInteger(samples) || samples < 1) fail("--samples must be an integer >= 1");
const only = (args.only?.split(",") ?? [...SECTIONS]) as SectionName[];
for (const name of only) if (!SECTIONS.includes(name)) fail(`unknown section "${name}"`);

const WORKERS = 2;
// With --json, standard output carries only the JSON: progress goes to standard error.
const progress = (line: string) => (args.json === true ? console.error : console.log)(`[bench] ${line}`);
await using pool = new WorkerPool({ size: WORKERS });
const records = generateSensorRecords({ count: recordCount, seed: 7 });
const ceilings = await measureCeilings(pool, WORKERS, recordCount, samples, progress);
const ctx: BenchContext = {
  pool,
  workers: WORKERS,
  records,
  samples,
  maxInFlight: pool.capacity,
  ceilings: ceilings.twoWorker,
  progress,
};

const reports: SectionReport[] = [];
const RUNNERS: Record<SectionName, () => Promise<SectionReport> | SectionReport> = {
  overhead: () => overheadSection(ctx),
  adaptive: () => adaptiveSection(ctx),
  latency: () => latencySection(ctx),
  peers: () => peersSection(ctx),
  burst: () => burstSection(ctx),
  transports: () => transportsSection(ctx),
  priority: () => prioritySection(ctx),
  isolation: () => isolationSection(ctx),
  io: () => ioSection(ctx),
  scaleout: () => scaleOutSection(ctx),
  metrics: () => metricsSection(ctx),
  memory: () => memorySection(progress),
};
const chosen = SECTIONS.filter((name) => only.includes(name));
const benchStarted = performance.now();
for (const [i, name] of chosen.entries()) {
  // The sections differ in length, so the time left is a rough guess from the ones done.
  const elapsedSec = (performance.now() - benchStarted) / 1000;
  const left = i === 0 ? "" : ` · about ${Math.round((elapsedSec / i) * (chosen.length - i))} s left`;
  progress(
    `${progressBar(i, chosen.length)} section ${i + 1}/${chosen.length}: ${name} · ${elapsedSec.toFixed(0)} s so far${left}`,
  );
  reports.push(await RUNNERS[name]());
}
progress(
  `${progressBar(chosen.length, chosen.length)} ${chosen.length} sections in ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`,
);

const targets = reports.flatMap((r) => r.targets);
const why = reports.flatMap((r) => r.why ?? []);
const cpu = cpus()[0]?.model ?? "unknown CPU";
const report = [
  "# poolstream benchmark report",
  "",
  `Bun ${Bun.version} on ${cpus().length} cores (${cpu}); ${WORKERS} workers, pipeline depth ${pool.pipelineDepth} per worker;`,
  `${recordCount.toLocaleString("en-US")} records per pass; throughputs are medians of at least ${samples} passes (mitata, at least one`,
  `second of passes per figure). Generated by \`bun run bench\` on ${new Date().toISOString().slice(0, 10)}. All figures of one report come`,
  "from one run; they vary from run to run on a shared 2-core machine, so compare ratios within a report.",
  "",
  "## Targets",
  "",
  "| target | measured | |",
  "| --- | --- | --- |",
  ...targets,
  "",
  ...(why.length === 0
    ? ["Every target was met.", ""]
    : ["Why targets are missed (the mechanisms, with this run's figures unless marked otherwise):", "", ...why, ""]),
  ...ceilingsMarkdown(ceilings, WORKERS),
  ...reports.flatMap((r) => r.markdown),
];
writeFileSync(outPath, `${report.join("\n")}\n`);
progress(`report written to ${outPath}`);
if (args.json === true) {
  // One JSON object on standard output: where the report is, and each target as data.
  const rows = targets.map((row) => row.split("|").map((cell) => cell.trim()));
  const parsed = rows.map(([, target, measured, verdict]) => ({ target, measured, met: verdict === "met" }));
  process.stdout.write(`${JSON.stringify({ program: "bench", report: outPath, targets: parsed })}\n`);
} else {
  console.log(`\n${targets.join("\n")}`);
}
