/**
 * `bun run start`: the main pipeline on its embedded defaults. Five simulated
 * sensors → batches of 15 → four Workers → sink, for five seconds, then a
 * final report. The flags combine every capability in one pipeline:
 * `--lanes priority --batch-size auto --on-failure dead-letter`. Ctrl-C drains
 * the same way, prints the report and exits 130.
 */

import { existsSync } from "node:fs";
// The URL parser alone: the MQTT client is loaded only for a run that uses a broker.
import { DashboardFeed, type DashboardServer, serveDashboard } from "@poolstream/dashboard";
import { type FieldMapping, parseFieldMapping } from "@poolstream/ingest";
import type { JetStreamExecutorStats } from "@poolstream/jetstream";
import { checkWorkPrefix, type NatsAddress, parseNatsUrl } from "@poolstream/jetstream/url";
import { type MetricsServer, PipelineMetrics, serveMetrics } from "@poolstream/metrics";
import { type MqttAddress, parseMqttUrl } from "@poolstream/mqtt/url";
import { databasePathProblem } from "../cli/file-paths.ts";
import { failUsage, parsePort, readFlags } from "../cli/flags.ts";
import { exitCodeAfter, interruptSignal } from "../cli/interrupt.ts";
import { humanStream, JSON_FLAG, printJson } from "../cli/json-output.ts";
import {
  type FileInput,
  type JetStreamInput,
  type MqttInput,
  type OutputSpec,
  runSensorPipeline,
  type SensorPipelineResult,
} from "../pipelines/sensor-pipeline.ts";
import { formatAccounting, formatLaneLatency, formatSizeHistory, formatStatus } from "../report/pipeline-text.ts";
import { StatusLine } from "../report/status-line.ts";
import { formatKeyValues, formatNumber, formatTable } from "../report/text.ts";

const program = {
  usage: "bun run start",
  summary:
    "Runs simulated sensors through lanes and batches into a Bun Worker pool and a sink, then prints one report.",
  flags: {
    json: JSON_FLAG,
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
      choices: ["workers", "processes", "jetstream"],
      default: "workers",
      description:
        "run kernels on Bun Worker threads, in child processes (a crash ends only its child), or on worker nodes through a JetStream server (bun run worker)",
    },
    server: {
      type: "string",
      placeholder: "nats://host:port",
      description: "with --executor jetstream: the NATS server the worker nodes use",
    },
    prefix: {
      type: "string",
      default: "poolstream",
      description: "with --executor jetstream: names the work streams; the same as the nodes' --prefix",
    },
    capacity: {
      type: "integer",
      default: 16,
      min: 1,
      max: 100_000,
      description: "with --executor jetstream: batches outstanding across the nodes, at most",
    },
    dashboard: {
      type: "string",
      placeholder: "port",
      whenBare: "8080",
      description: "serve a live dashboard at http://127.0.0.1:<port>/ while it runs (0: a free port)",
    },
    metrics: {
      type: "string",
      placeholder: "port",
      description: "serve Prometheus metrics at http://127.0.0.1:<port>/metrics while it runs (0: a free port)",
    },
    "batch-timeout": {
      type: "number",
      default: 30,
      min: 0.1,
      max: 86_400,
      description:
        "with --executor jetstream: seconds a batch may wait for a node's answer before it fails (and meets --on-failure)",
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
    input: {
      type: "string",
      placeholder: "file|-|mqtt://…|nats://…",
      description:
        "read readings from an NDJSON or CSV file or - (standard input; the run ends with it), an MQTT broker's topics (mqtt://host:port/sensors/#) or a JetStream stream (nats://host:port/readings; both until Ctrl-C or --duration)",
    },
    format: {
      type: "string",
      placeholder: "ndjson|csv",
      description: "the input's format (default: csv for a .csv file, else ndjson)",
    },
    map: {
      type: "string",
      placeholder: "role=field,...",
      description:
        "which input fields fill sensorId, value, seq, timestamp, createdAt (e.g. sensorId=deviceId,value=reading)",
    },
    alerts: {
      type: "string",
      placeholder: "mqtt://host:port/topic|nats://host:port/prefix",
      description:
        "publish the CRITICAL lane's results (use --lanes priority) to <topic>/<sensor> (MQTT, QoS 1) or <prefix>.<sensor> (JetStream)",
    },
    output: {
      type: "string",
      placeholder: "sqlite:<db>|ndjson:<file>|-",
      description: "where outcomes go besides the report, comma-separated; an SQLite output lets a file input resume",
    },
  },
} as const;
const flags = readFlags(program);
const batchSize = parseBatchSize(flags["batch-size"]);
const input = parseInput();
const outputs = [...parseOutputs(flags.output), ...parseAlerts(flags.alerts)];
if (flags.json && outputs.some((o) => o.kind === "ndjson" && o.path === "-")) {
  failUsage(program, "--json and --output - both write to standard output: give one");
}
// With NDJSON on standard output, everything meant for a person goes to standard error.
const say = outputs.some((o) => o.kind === "ndjson" && o.path === "-") ? console.error : console.log;

const jetstream = parseJetStreamExecutor();
if (flags["on-failure"] === "dead-letter") {
  const problem = databasePathProblem(flags.dlq);
  if (problem !== undefined) failUsage(program, `--dlq: ${problem}`);
}
const metricsPort = parsePort(program, "metrics", flags.metrics);
const dashboardPort = parsePort(program, "dashboard", flags.dashboard);

const interrupt = interruptSignal("start");
const from =
  input === undefined
    ? `${flags.sensors} sensors every ${flags.interval} s`
    : input.kind === "mqtt"
      ? `${input.server}/${input.topic}`
      : input.kind === "jetstream"
        ? `${input.server}/${input.prefix}`
        : input.path === "-"
          ? "standard input"
          : input.path;
// A broker never ends: it is read until Ctrl-C, or for --duration when that is given.
const durationGiven = process.argv.some((arg) => arg === "--duration" || arg.startsWith("--duration="));
const until =
  input === undefined
    ? `for ${flags.duration} s (seed ${flags.seed})`
    : input.kind === "mqtt" || input.kind === "jetstream"
      ? durationGiven
        ? `for ${flags.duration} s`
        : "until Ctrl-C"
      : "until the input ends";
say(
  `[start] ${from} → ${flags.lanes === "fifo" ? "one FIFO lane" : "CRITICAL/NORMAL lanes"} → ${batchSize === "auto" ? "adaptive batches" : `batches of ${batchSize}`} → ${flags.executor === "jetstream" ? `worker nodes via ${jetstream?.server}` : `${flags.workers} ${flags.executor === "workers" ? "workers" : "child processes"}`}, on failure ${flags["on-failure"]}${outputs.length > 0 ? ` → ${flags.output}` : ""}, ${until}`,
);
const metrics = metricsPort === undefined ? undefined : new PipelineMetrics();
let dashboard: DashboardServer | undefined;
const metricsServer = metrics === undefined ? undefined : serveMetricsOrExit(metrics, metricsPort as number);
if (metricsServer !== undefined) say(`[start] Prometheus metrics at ${metricsServer.url}`);
// With NDJSON on standard output, the status goes to standard error with everything else meant for a person.
const status = new StatusLine(say === console.error ? process.stderr : humanStream);
const result = await runSensorPipeline({
  durationSec: flags.duration,
  sensors: flags.sensors,
  intervalMs: flags.interval * 1000,
  batchSize,
  workers: flags.workers,
  executor: flags.executor,
  ...(jetstream === undefined ? {} : { jetstream }),
  seed: flags.seed,
  lanes: flags.lanes,
  onFailure: flags["on-failure"],
  dlqPath: flags.dlq,
  crashRate: flags["crash-rate"],
  ...(input === undefined ? {} : { input }),
  ...((input?.kind === "mqtt" || input?.kind === "jetstream") && durationGiven
    ? { inputDurationSec: flags.duration }
    : {}),
  onInputNews: (line) => say(`[start] ${line}`),
  outputs,
  signal: interrupt,
  log: () => {}, // the status line below says the same once a second, however fast records arrive
  onStatus: (stats) => status.show(formatStatus("start", stats)),
  // What watches the run (metrics, the dashboard) gets the pipeline and its executor before it starts.
  onStart: async (running, executor) => {
    metrics?.watch(running, executor);
    if (dashboardPort === undefined) return;
    dashboard = await serveDashboardOrExit(new DashboardFeed(running, executor), dashboardPort);
    say(`[start] dashboard at ${dashboard.url} (live while it runs)`);
  },
});
status.end();
await dashboard?.stop();
await metricsServer?.stop();
metrics?.close();
say(formatReport(result));
if (flags.json) {
  printJson({
    program: "start",
    report: result.report,
    sink: result.sink,
    input: result.input ?? null,
    outputs: result.outputs.map(({ spec, written }) => ({ ...spec, written })),
    deadLettersInLog: result.deadLettersInLog ?? null,
    remote: result.remote ?? null,
    failure: result.failure === undefined ? null : { name: result.failure.name, message: result.failure.message },
    interrupted: interrupt.aborted,
  });
}
process.exitCode = exitCodeAfter(interrupt, result.failure === undefined && result.report.accounting.holds ? 0 : 1);

function parseJetStreamExecutor():
  | { server: string; prefix: string; capacity: number; batchTimeoutMs: number }
  | undefined {
  if (flags.executor !== "jetstream") {
    if (flags.server !== undefined) failUsage(program, "--server is for --executor jetstream");
    return undefined;
  }
  if (flags.server === undefined) failUsage(program, "--executor jetstream needs --server nats://host:port");
  let address: NatsAddress;
  try {
    address = parseNatsUrl(flags.server);
  } catch (error) {
    return failUsage(program, `--server: ${(error as Error).message}`);
  }
  if (address.prefix !== "") failUsage(program, "--server: give the server only, e.g. nats://127.0.0.1:4222");
  try {
    checkWorkPrefix(flags.prefix);
  } catch (error) {
    failUsage(program, `--${(error as Error).message}`);
  }
  return {
    server: address.server,
    prefix: flags.prefix,
    capacity: flags.capacity,
    batchTimeoutMs: Math.round(flags["batch-timeout"] * 1000),
  };
}

/** The dashboard, or one line and exit 2 when its port cannot be had. */
async function serveDashboardOrExit(feed: DashboardFeed, port: number): Promise<DashboardServer> {
  try {
    return await serveDashboard(feed, { port, title: "poolstream · bun run start" });
  } catch (error) {
    return failUsage(program, `--dashboard: cannot listen on port ${port} (${(error as Error).message})`);
  }
}

/** The metrics endpoint, or one line and exit 2 when its port cannot be had. */
function serveMetricsOrExit(source: PipelineMetrics, port: number): MetricsServer {
  try {
    return serveMetrics(source, { port });
  } catch (error) {
    return failUsage(program, `--metrics: cannot listen on port ${port} (${(error as Error).message})`);
  }
}

function parseBatchSize(raw: string): number | "auto" {
  if (raw === "auto") return "auto";
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 100_000) {
    failUsage(program, `--batch-size must be a whole number from 1 to 100000 or auto, got "${raw}"`);
  }
  return size;
}

function parseInput(): FileInput | MqttInput | JetStreamInput | undefined {
  if (flags.input === undefined) {
    for (const name of ["format", "map"] as const) {
      if (flags[name] !== undefined) failUsage(program, `--${name} needs --input`);
    }
    return undefined;
  }
  const format = flags.format;
  if (format !== undefined && format !== "ndjson" && format !== "csv") {
    failUsage(program, `--format must be ndjson or csv, got "${format}"`);
  }
  let fields: FieldMapping | undefined;
  try {
    fields = flags.map === undefined ? undefined : parseFieldMapping(flags.map);
  } catch (error) {
    failUsage(program, `--map: ${(error as Error).message}`);
  }
  if (flags.input.startsWith("nats://")) {
    if (format !== undefined) failUsage(program, "--format is for a file: JetStream payloads are JSON");
    let address: NatsAddress;
    try {
      address = parseNatsUrl(flags.input);
    } catch (error) {
      return failUsage(program, `--input: ${(error as Error).message}`);
    }
    if (address.prefix === "")
      failUsage(program, "--input: name the subjects' prefix, e.g. nats://127.0.0.1:4222/readings");
    return { kind: "jetstream", server: address.server, prefix: address.prefix, ...(fields ? { fields } : {}) };
  }
  if (flags.input.startsWith("mqtt://") || flags.input.startsWith("mqtts://")) {
    if (format !== undefined) failUsage(program, "--format is for a file: MQTT payloads are JSON");
    let address: MqttAddress;
    try {
      address = parseMqttUrl(flags.input);
    } catch (error) {
      return failUsage(program, `--input: ${(error as Error).message}`);
    }
    if (address.topic === "")
      failUsage(program, "--input: name the topics to read, e.g. mqtt://127.0.0.1:1883/sensors/#");
    return { kind: "mqtt", server: address.server, topic: address.topic, ...(fields ? { fields } : {}) };
  }
  if (flags.input !== "-" && !existsSync(flags.input)) failUsage(program, `--input: no file at ${flags.input}`);
  return { path: flags.input, ...(format ? { format } : {}), ...(fields ? { fields } : {}) };
}

function parseAlerts(raw: string | undefined): OutputSpec[] {
  if (raw === undefined) return [];
  if (flags.lanes !== "priority") failUsage(program, "--alerts publishes the CRITICAL lane: add --lanes priority");
  if (raw.startsWith("nats://")) {
    let nats: NatsAddress;
    try {
      nats = parseNatsUrl(raw);
    } catch (error) {
      return failUsage(program, `--alerts: ${(error as Error).message}`);
    }
    if (nats.prefix === "") failUsage(program, "--alerts: name a subject prefix, e.g. nats://127.0.0.1:4222/alerts");
    return [{ kind: "jetstream-alerts", path: raw }];
  }
  let address: MqttAddress;
  try {
    address = parseMqttUrl(raw);
  } catch (error) {
    return failUsage(program, `--alerts: ${(error as Error).message}`);
  }
  if (address.topic === "" || /[#+]/.test(address.topic)) {
    failUsage(program, "--alerts: name one topic without wildcards, e.g. mqtt://127.0.0.1:1883/alerts");
  }
  return [{ kind: "mqtt-alerts", path: raw }];
}

function parseOutputs(raw: string | undefined): OutputSpec[] {
  if (raw === undefined) return [];
  return raw.split(",").map((part): OutputSpec => {
    const spec = part.trim();
    if (spec === "-") return { kind: "ndjson", path: "-" };
    const [kind, ...rest] = spec.split(":");
    const path = rest.join(":");
    if ((kind === "sqlite" || kind === "ndjson") && path !== "") {
      const problem = databasePathProblem(path);
      if (problem !== undefined) failUsage(program, `--output ${kind}: ${problem}`);
      return { kind, path };
    }
    return failUsage(program, `--output must be sqlite:<db>, ndjson:<file> or -, got "${spec}"`);
  });
}

function formatReport({
  report,
  sink,
  deadLettersInLog,
  failure,
  input: file,
  outputs: written,
  remote,
}: SensorPipelineResult): string {
  const source = report.source;
  // Thousands of sensors would bury the report: the busiest ten, and a line for the rest.
  const SHOWN = 10;
  const bySource = Object.entries(source?.perSource ?? {}).sort((a, b) => b[1] - a[1]);
  const perSensor: (readonly [string, number])[] = bySource.slice(0, SHOWN);
  if (bySource.length > SHOWN) {
    const rest = bySource.slice(SHOWN);
    perSensor.push([`… ${formatNumber(rest.length)} more, together`, rest.reduce((sum, [, count]) => sum + count, 0)]);
  }
  const errors = source?.errors.map((e) => `${e.sourceId}: ${e.message}`) ?? [];
  const elapsedSec = report.elapsedMs / 1000;
  return [
    "",
    "=== poolstream: final report ===",
    formatTable([file === undefined ? "sensor" : "source", "records ingested"], perSensor),
    "",
    formatKeyValues([
      ["records ingested", report.accounting.entered],
      [
        "batches",
        `${formatNumber(report.counters.batchesCut)} (failed calls ${formatNumber(report.counters.failedCalls)}, recovered ${formatNumber(report.counters.recoveries)})`,
      ],
      ["anomalies (normalized > 0.8)", sink.anomalies],
      ["mean normalized", report.accounting.results === 0 ? "n/a (no results)" : sink.meanNormalized.toFixed(4)],
      ["source errors", errors.length === 0 ? "none" : errors.join("; ")],
      ...(file === undefined
        ? []
        : [
            [
              "input",
              `${file.id}${file.resumedAfterLine === undefined ? "" : `, resumed after line ${formatNumber(file.resumedAfterLine)}`}`,
            ] as const,
          ]),
      ...written.map(
        ({ spec, written: count }) =>
          [
            `output ${spec.kind}`,
            `${spec.path === "-" ? "standard output" : spec.path}: ${formatNumber(count)} ${spec.kind === "sqlite" ? "rows written" : spec.kind === "ndjson" ? "lines" : "alerts published"}`,
          ] as const,
      ),
      ...(deadLettersInLog === undefined ? [] : [["dead-letter log", `${deadLettersInLog} entries`] as const]),
      ["stopped", failure === undefined ? report.stopReason : `failed: ${failure.name}: ${failure.message}`],
      ["elapsed", `${elapsedSec.toFixed(2)} s`],
      ["throughput", `${formatNumber(Math.round(report.throughputPerSec))} records/s`],
    ]),
    "",
    ...(remote === undefined ? [] : [formatNodes(remote), ""]),
    "latency per lane, createdAt → delivered to the sink:",
    formatLaneLatency(report),
    "",
    "batch size over time:",
    formatSizeHistory(report),
    "",
    `check: ${formatAccounting(report.accounting)}`,
  ].join("\n");
}

/** What each worker node computed for this run, and the redeliveries after a node was lost. */
function formatNodes(remote: JetStreamExecutorStats): string {
  if (remote.nodes.every((node) => node.batches === 0)) {
    return "worker nodes: no worker answered (is `bun run worker --server …` running with the same --prefix?)";
  }
  const rows = remote.nodes.map((node) => [node.node, node.batches, node.redeliveries] as const);
  return [
    "worker nodes:",
    formatTable(["node", "batches", "of them redelivered"], rows),
    `redeliveries ${formatNumber(remote.redeliveries)} (slowest ${Math.round(remote.slowestRedeliveryMs)} ms from publish to result), results that came after their batch had settled (computed twice, or late), dropped ${formatNumber(remote.duplicateResults)}, batches past the delivery limit ${formatNumber(remote.deliveryLimited)}, timed out ${formatNumber(remote.timeouts)}`,
  ].join("\n");
}
