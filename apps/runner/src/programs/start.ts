/**
 * `bun run start`: the main pipeline on its embedded defaults. Five simulated
 * sensors → batches of 15 → four Workers → sink, for five seconds, then a
 * final report. The flags combine every capability in one pipeline:
 * `--lanes priority --batch-size auto --on-failure dead-letter`. Ctrl-C drains
 * the same way, prints the report and exits 130.
 */
import { failUsage, readFlags } from "../cli/flags.ts";
import { interruptSignal } from "../cli/interrupt.ts";
import { runSensorPipeline, type SensorPipelineResult } from "../pipelines/sensor-pipeline.ts";
import { formatAccounting, formatLaneLatency, formatSizeHistory, formatStatus } from "../report/pipeline-text.ts";
import { formatKeyValues, formatNumber, formatTable } from "../report/text.ts";

const program = {
  usage: "bun run start",
  summary:
    "Runs simulated sensors through lanes and batches into a Bun Worker pool and a sink, then prints one report.",
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
    "batch-size": {
      type: "string",
      default: "15",
      placeholder: "n|auto",
      description: "records per batch, or auto to let the adaptive sizer choose",
    },
    workers: { type: "integer", default: 4, min: 1, max: 256, description: "workers in the pool" },
    executor: {
      type: "choice",
      choices: ["workers", "processes"],
      default: "workers",
      description: "run kernels on Bun Worker threads, or in child processes (a crash ends only its child)",
    },
    seed: { type: "integer", default: 42, min: 0, max: 2 ** 32 - 1, description: "seed of the simulated values" },
    lanes: {
      type: "choice",
      choices: ["fifo", "priority"],
      default: "fifo",
      description: "one FIFO lane, or CRITICAL readings (outside [15, 85]) ahead of NORMAL ones",
    },
    "on-failure": {
      type: "choice",
      choices: ["fail", "collect", "dead-letter"],
      default: "fail",
      description: "when a batch fails: stop, keep its records as error records, or recover then dead-letter",
    },
    dlq: {
      type: "string",
      default: ".poolstream/dead-letters.sqlite",
      placeholder: "path",
      description: "SQLite file of the dead-letter log, with --on-failure dead-letter (':memory:' for none)",
    },
    "crash-rate": {
      type: "number",
      default: 0,
      min: 0,
      max: 1,
      description: "chance that a batch's call crashes (simulated), to see the failure policy at work",
    },
  },
} as const;
const flags = readFlags(program);
const batchSize = parseBatchSize(flags["batch-size"]);

const interrupt = interruptSignal("start");
console.log(
  `[start] ${flags.sensors} sensors every ${flags.interval} s → ${flags.lanes === "fifo" ? "one FIFO lane" : "CRITICAL/NORMAL lanes"} → ${batchSize === "auto" ? "adaptive batches" : `batches of ${batchSize}`} → ${flags.workers} ${flags.executor === "workers" ? "workers" : "child processes"}, on failure ${flags["on-failure"]}, for ${flags.duration} s (seed ${flags.seed})`,
);
const result = await runSensorPipeline({
  durationSec: flags.duration,
  sensors: flags.sensors,
  intervalMs: flags.interval * 1000,
  batchSize,
  workers: flags.workers,
  executor: flags.executor,
  seed: flags.seed,
  lanes: flags.lanes,
  onFailure: flags["on-failure"],
  dlqPath: flags.dlq,
  crashRate: flags["crash-rate"],
  signal: interrupt,
  log: () => {}, // the status line below says the same once a second, however fast records arrive
  onStatus: (stats) => console.log(formatStatus("start", stats)),
});
console.log(formatReport(result));
process.exitCode = interrupt.aborted ? 130 : result.failure === undefined && result.report.accounting.holds ? 0 : 1;

function parseBatchSize(raw: string): number | "auto" {
  if (raw === "auto") return "auto";
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 100_000) {
    failUsage(program, `--batch-size must be a whole number from 1 to 100000 or auto, got "${raw}"`);
  }
  return size;
}

function formatReport({ report, sink, deadLettersInLog, failure }: SensorPipelineResult): string {
  const source = report.source;
  const perSensor = Object.entries(source?.perSource ?? {}).map(([id, count]) => [id, count] as const);
  const errors = source?.errors.map((e) => `${e.sourceId}: ${e.message}`) ?? [];
  const elapsedSec = report.elapsedMs / 1000;
  return [
    "",
    "=== poolstream: final report ===",
    formatTable(["sensor", "records ingested"], perSensor),
    "",
    formatKeyValues([
      ["records ingested", report.accounting.entered],
      [
        "batches",
        `${formatNumber(report.counters.batchesCut)} (failed calls ${formatNumber(report.counters.failedCalls)}, recovered ${formatNumber(report.counters.recoveries)})`,
      ],
      ["anomalies (normalized > 0.8)", sink.anomalies],
      ["mean normalized", sink.meanNormalized.toFixed(4)],
      ["source errors", errors.length === 0 ? "none" : errors.join("; ")],
      ...(deadLettersInLog === undefined ? [] : [["dead-letter log", `${deadLettersInLog} entries`] as const]),
      ["stopped", failure === undefined ? report.stopReason : `failed: ${failure.name}: ${failure.message}`],
      ["elapsed", `${elapsedSec.toFixed(2)} s`],
      ["throughput", `${formatNumber(Math.round(report.throughputPerSec))} records/s`],
    ]),
    "",
    "latency per lane, createdAt → delivered to the sink:",
    formatLaneLatency(report),
    "",
    "batch size over time:",
    formatSizeHistory(report),
    "",
    `check: ${formatAccounting(report.accounting)}`,
  ].join("\n");
}
