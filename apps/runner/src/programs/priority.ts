/**
 * `bun run priority`: simulated sensors whose readings are 20 % CRITICAL feed
 * a pipeline with CRITICAL and NORMAL lanes faster than the workers can drain
 * it, so a NORMAL backlog builds up; CRITICAL records overtake it. Prints the
 * counts, the latency of each lane, and every record with an urgency above 50.
 */
import { fixedSize, type SensorRecord, type Sink } from "@poolstream/core";
import { simulatedSensors } from "@poolstream/ingest";
import { pipeline } from "@poolstream/pipeline";
import { WorkerPool } from "@poolstream/pool";
import {
  type PriorityResult,
  priorityColumnarTransport,
  priorityLanes,
  priorityValueGenerator,
} from "@poolstream/priority";
import { readFlags } from "../cli/flags.ts";
import { exitCodeAfter, interruptSignal } from "../cli/interrupt.ts";
import { JSON_FLAG, printJson } from "../cli/json-output.ts";
import { formatAccounting, formatLaneLatency, formatStatus } from "../report/pipeline-text.ts";
import { StatusLine } from "../report/status-line.ts";
import { formatKeyValues, formatNumber } from "../report/text.ts";

const flags = readFlags({
  usage: "bun run priority",
  summary: "CRITICAL readings jump a NORMAL backlog; reports latency per lane and the most urgent records.",
  flags: {
    json: JSON_FLAG,
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
    "show-urgent": {
      type: "integer",
      default: 10,
      min: 0,
      max: 1_000,
      description: "the most urgent records to list after the report (by urgency score)",
    },
  },
});

await using pool = new WorkerPool({ size: flags.workers });
type Urgent = Extract<PriorityResult, { urgencyScore: number }>;
/** The most urgent records so far (at most `show-urgent`), and how many were urgent at all: memory stays flat. */
let urgent: Urgent[] = [];
let urgentCount = 0;
const keep = flags["show-urgent"];
const urgentSink: Sink<SensorRecord, PriorityResult> = {
  write(batch) {
    for (let i = 0; i < batch.results.length; i++) {
      const result = batch.results[i] as PriorityResult;
      if (!("urgencyScore" in result) || result.urgencyScore <= 50) continue;
      urgentCount++;
      if (keep === 0) continue;
      urgent.push(result);
      // Trimmed in bulk, so the cost per record stays small.
      if (urgent.length >= 2 * keep) urgent = urgent.sort((a, b) => b.urgencyScore - a.urgencyScore).slice(0, keep);
    }
  },
  close() {},
};
const pipe = pipeline<SensorRecord, PriorityResult>({
  source: simulatedSensors({
    count: flags.sensors,
    intervalMs: flags.interval * 1000,
    seed: flags.seed,
    valueGenerator: priorityValueGenerator(flags["critical-share"]),
  }),
  executor: pool,
  // Each lane holds 100 records: a full NORMAL lane holds up only NORMAL readings.
  lanes: priorityLanes({ capacity: 100 }),
  sizer: fixedSize(flags["batch-size"]),
  transport: priorityColumnarTransport(flags.work),
  sinks: [urgentSink],
  durationMs: Math.max(1, flags.duration * 1000),
});

const interrupt = interruptSignal("priority");
console.log(
  `[priority] ${flags.sensors} sensors every ${flags.interval} s, ${Math.round(flags["critical-share"] * 100)} % CRITICAL → batches of ${flags["batch-size"]} → ${flags.workers} workers, for ${flags.duration} s`,
);
const status = new StatusLine();
const progress = setInterval(() => status.show(formatStatus("priority", pipe.stats())), 1000);
const report = await pipe.run(interrupt).finally(() => {
  clearInterval(progress);
  status.end();
});

const [critical, normal] = report.lanes;
console.log("\n=== poolstream priority lanes: report ===");
console.log(
  formatKeyValues([
    ["records ingested", report.accounting.entered],
    ["CRITICAL processed", critical?.delivered ?? 0],
    ["NORMAL processed", normal?.delivered ?? 0],
    ["failed calls", report.counters.failedCalls === 0 ? "none" : report.counters.failedCalls],
    ["throughput", `${Math.round(report.throughputPerSec).toLocaleString("en-US")} records/s`],
  ]),
);
console.log("\nlatency, createdAt → delivered to the sink:");
console.log(formatLaneLatency(report));
// An empty lane has no latency, so there is nothing to compare: n/a, never a ratio of zeros.
if ((critical?.delivered ?? 0) === 0 || (normal?.delivered ?? 0) === 0) {
  const empty = (critical?.delivered ?? 0) === 0 ? "CRITICAL" : "NORMAL";
  console.log(`\nCRITICAL against NORMAL p99: n/a (the ${empty} lane delivered nothing)`);
} else {
  const speedup = (normal?.latencyMs.p99 as number) / Math.max(critical?.latencyMs.p99 as number, 1e-3);
  console.log(`\nCRITICAL p99 is ${speedup.toFixed(1)}× lower than NORMAL p99.`);
}
console.log(`\ncheck: ${formatAccounting(report.accounting)}`);
if (keep > 0 && urgentCount > 0) {
  const shown = urgent.sort((a, b) => b.urgencyScore - a.urgencyScore).slice(0, keep);
  console.log(
    `\nthe ${shown.length} most urgent of ${formatNumber(urgentCount)} records with urgencyScore > 50 (--show-urgent):`,
  );
  for (const r of shown) {
    console.log(
      `  ${`${r.sensorId}#${r.seq}`.padEnd(16)} value ${r.value.toFixed(2).padStart(7)}  urgency ${r.urgencyScore.toFixed(1)}`,
    );
  }
}
if (flags.json) {
  printJson({
    program: "priority",
    report,
    urgent: { count: urgentCount, mostUrgent: urgent.sort((a, b) => b.urgencyScore - a.urgencyScore).slice(0, keep) },
    interrupted: interrupt.aborted,
  });
}
process.exitCode = exitCodeAfter(interrupt, report.accounting.holds ? 0 : 1);
