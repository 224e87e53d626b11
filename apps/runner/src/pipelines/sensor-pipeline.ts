/**
 * The main pipeline as one configuration of `pipeline(...)`: simulated
 * sensors or readings from a file → lanes (one FIFO lane, or CRITICAL/NORMAL)
 * → batches (a fixed size, or adaptive) → a Bun Worker pool running the
 * fault-tolerant standard kernel → the results sink and any outputs (SQLite,
 * NDJSON), with a failure policy (fail fast, collect, or recover on a second
 * pool and dead-letter to SQLite). A file read into SQLite resumes where the
 * database says the last run's committed records end. It owns every resource
 * it opens and closes them all, whatever happens.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { AdaptiveSizer, type BatchSizeSample } from "@poolstream/batching";
import {
  type BatchSizer,
  type Clock,
  type Executor,
  type FailurePolicy,
  fixedSize,
  InvalidArgumentError,
  type SensorRecord,
} from "@poolstream/core";
import {
  collectFailures,
  DeadLetterLog,
  failFast,
  faultTolerantTransport,
  recoverThenDeadLetter,
  withSimulatedCrashes,
} from "@poolstream/faults";
import { type FieldMapping, type FileFormat, FileSource, simulatedSensors } from "@poolstream/ingest";
import type {
  JetStreamExecutor,
  JetStreamExecutorStats,
  JetStreamPublishSink,
  JetStreamSource,
} from "@poolstream/jetstream";
import type { MqttPublishSink, MqttSource } from "@poolstream/mqtt";
import { type Pipeline, type PipelineReport, type PipelineStats, pipeline } from "@poolstream/pipeline";
import { WorkerPool } from "@poolstream/pool";
import { priorityLanes, priorityValueGenerator } from "@poolstream/priority";
import { ProcessPool } from "@poolstream/process";
import { NdjsonSink, ResultsSink, type SinkSummary, SqliteSink, storedPosition } from "@poolstream/sink";

export type LaneMode = "fifo" | "priority";

type MqttModule = typeof import("@poolstream/mqtt");
type JetStreamModule = typeof import("@poolstream/jetstream");
/** The broker clients a run needs, loaded only then: each costs every other run's start-up. */
interface BrokerModules {
  readonly mqtt: MqttModule | undefined;
  readonly jetstream: JetStreamModule | undefined;
}

/** Readings from a file (or "-" for standard input) instead of simulated sensors. */
export interface FileInput {
  readonly kind?: "file";
  readonly path: string;
  readonly format?: FileFormat;
  readonly fields?: FieldMapping;
}

/** Readings from a JetStream stream (a durable consumer), the stream that keeps `<prefix>.>`. */
export interface JetStreamInput {
  readonly kind: "jetstream";
  /** `nats://host:port`. */
  readonly server: string;
  readonly prefix: string;
  readonly fields?: FieldMapping;
}

/** Readings from an MQTT broker's topics (a persistent QoS 1 session). */
export interface MqttInput {
  readonly kind: "mqtt";
  /** `mqtt://host:port`. */
  readonly server: string;
  readonly topic: string;
  readonly fields?: FieldMapping;
}

/**
 * Where outcomes go besides the report: an SQLite database (resumable), NDJSON ("-" for standard output),
 * or an MQTT topic (the CRITICAL lane's results, as alerts; `path` is its mqtt:// address).
 */
export type OutputSpec =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "ndjson"; readonly path: string }
  | { readonly kind: "mqtt-alerts"; readonly path: string }
  | { readonly kind: "jetstream-alerts"; readonly path: string };
export type FailureMode = "fail" | "collect" | "dead-letter";
/**
 * Where kernels run: threads of this process, child processes (isolated: a
 * crash or memory blow-up ends only its child), or worker nodes anywhere on
 * the network through a JetStream server (`bun run worker`).
 */
export type ExecutorMode = "workers" | "processes" | "jetstream";

export interface SensorPipelineOptions {
  readonly durationSec: number;
  readonly sensors: number;
  readonly intervalMs: number;
  /** A fixed size, or "auto" for the adaptive sizer. */
  readonly batchSize: number | "auto";
  readonly workers: number;
  /** Threads (the default), child processes, or worker nodes through JetStream. */
  readonly executor?: ExecutorMode;
  /** With the JetStream executor: the server, `nats://host:port`, and the prefix the nodes use. */
  readonly jetstream?: {
    readonly server: string;
    readonly prefix: string;
    readonly capacity?: number;
    /** A batch no node answers within this fails, and meets the failure policy. Default 30 s. */
    readonly batchTimeoutMs?: number;
  };
  readonly seed: number;
  readonly lanes?: LaneMode;
  readonly onFailure?: FailureMode;
  /** SQLite file of the dead-letter log (with `onFailure: "dead-letter"`); ":memory:" keeps it in memory. */
  readonly dlqPath?: string;
  /** Chance that a batch's call crashes, to see the failure policy at work. Default 0. */
  readonly crashRate?: number;
  /** With priority lanes: the share of readings outside the safe range. Default 0.2. */
  readonly criticalShare?: number;
  /** Cut a smaller batch after this long with no new record. Default 0.5 s. */
  readonly maxWaitSec?: number;
  /** Stops ingestion early; everything already ingested is still processed. */
  readonly signal?: AbortSignal;
  /** Where the sink's running lines go. Default console.log. */
  readonly log?: (line: string) => void;
  /** Called with the pipeline and its executor before it runs (to watch it: metrics, a dashboard). */
  readonly onStart?: (pipeline: Pipeline<SensorRecord, unknown>, executor: Executor) => Promise<void> | void;
  /** Called about once a second with the pipeline's stats. */
  readonly onStatus?: (stats: PipelineStats) => void;
  /** Read this file (the run ends with it) or subscribe to this broker, instead of simulating sensors. */
  readonly input?: FileInput | MqttInput | JetStreamInput;
  /** With an MQTT input: stop after this long (else at the signal). */
  readonly inputDurationSec?: number;
  /** Hears the MQTT source's connection news. */
  readonly onInputNews?: (line: string) => void;
  /** Outputs besides the report. */
  readonly outputs?: readonly OutputSpec[];
  /** Sensors that fail after N readings, by index, to show source errors. */
  readonly failingSensors?: Readonly<Record<number, number>>;
  readonly clock?: Clock;
}

export interface SensorPipelineResult {
  readonly report: PipelineReport;
  readonly sink: SinkSummary;
  /** The adaptive sizer's batches, when the size was "auto". */
  readonly sizeSamples: readonly BatchSizeSample[] | undefined;
  /** Entries in the dead-letter log when the run ended (earlier runs' included). */
  readonly deadLettersInLog: number | undefined;
  /** Set when the pipeline stopped on a failure; the report still says where every record went. */
  readonly failure: Error | undefined;
  /** With a file or broker input: its id, and where it resumed (the line after which it started), if it did. */
  readonly input?: { readonly id: string; readonly resumedAfterLine: number | undefined };
  /** Rows and lines written to each output. */
  readonly outputs: readonly { readonly spec: OutputSpec; readonly written: number }[];
  /** With the JetStream executor: what the worker nodes did. */
  readonly remote?: JetStreamExecutorStats;
}

/** Runs the pipeline until the duration ends or the signal fires, then drains and reports. */
export async function runSensorPipeline(options: SensorPipelineOptions): Promise<SensorPipelineResult> {
  const lanesMode = options.lanes ?? "fifo";
  const onFailure = options.onFailure ?? "fail";
  const crashRate = options.crashRate ?? 0;
  const openPool = (size: number, name: string) =>
    options.executor === "processes" ? new ProcessPool({ size, name }) : new WorkerPool({ size, name });
  await using pool = options.executor === "jetstream" ? await openRemote(options) : openPool(options.workers, "main");
  // Recovery runs here, on one local thread: a batch that kills the nodes that take it is tried where it cannot.
  await using recovery =
    onFailure === "dead-letter"
      ? options.executor === "jetstream"
        ? new WorkerPool({ size: 1, name: "recovery" })
        : openPool(1, "recovery")
      : undefined;
  using deadLetterLog = onFailure === "dead-letter" ? openDeadLetterLog(options.dlqPath) : undefined;
  const executor: Executor =
    crashRate > 0 ? withSimulatedCrashes(pool, { probability: crashRate, seed: options.seed }) : pool;
  const sizer: BatchSizer = options.batchSize === "auto" ? new AdaptiveSizer() : fixedSize(options.batchSize);
  const sink = new ResultsSink({
    keepResults: false,
    ...(options.log ? { log: options.log } : {}),
    ...clockOf(options),
  });
  const uses = (kind: string) =>
    options.input?.kind === kind || (options.outputs ?? []).some((o) => o.kind === `${kind}-alerts`);
  const brokers: BrokerModules = {
    mqtt: uses("mqtt") ? await import("@poolstream/mqtt") : undefined,
    jetstream: uses("jetstream") ? await import("@poolstream/jetstream") : undefined,
  };
  const file =
    options.input === undefined
      ? undefined
      : openInput(options.input, options.outputs ?? [], options.onInputNews, brokers);
  const outputs = openOutputs(options.outputs ?? [], file?.source, brokers);
  const endsAfterMs =
    file === undefined
      ? Math.max(1, options.durationSec * 1000)
      : options.inputDurationSec === undefined
        ? undefined
        : Math.max(1, options.inputDurationSec * 1000);
  // The pipeline closes its sinks when it ends; this closes them if it never got to start.
  using _closeOutputs = {
    [Symbol.dispose]() {
      for (const { sink: output } of outputs) output.close();
    },
  };
  const p = pipeline({
    source:
      file?.source ??
      simulatedSensors({
        count: options.sensors,
        intervalMs: options.intervalMs,
        seed: options.seed,
        ...(lanesMode === "priority" ? { valueGenerator: priorityValueGenerator(options.criticalShare ?? 0.2) } : {}),
        ...(options.failingSensors ? { failAfter: options.failingSensors } : {}),
        ...clockOf(options),
      }),
    executor,
    transport: faultTolerantTransport("columnar"),
    ...(lanesMode === "priority" ? { lanes: priorityLanes({ capacity: 100, ...clockOf(options) }) } : {}),
    sizer,
    failurePolicy: policyFor(onFailure, recovery, deadLetterLog),
    // The output that stores the source's position goes last: when it commits, every other sink has the batch.
    sinks: [sink, ...outputs.map(({ sink: output }) => output)],
    ...(endsAfterMs === undefined ? {} : { durationMs: endsAfterMs }),
    maxWaitMs: (options.maxWaitSec ?? 0.5) * 1000,
    ...clockOf(options),
  });
  await options.onStart?.(p as unknown as Pipeline<SensorRecord, unknown>, pool);
  const status = options.onStatus;
  const timer = status === undefined ? undefined : setInterval(() => status(p.stats()), 1000);
  let report: PipelineReport;
  let failure: Error | undefined;
  try {
    report = await p.run(options.signal);
  } catch (error) {
    const failed = error as { report?: PipelineReport; cause?: unknown };
    if (failed.report === undefined) throw error;
    report = failed.report;
    failure = failed.cause instanceof Error ? failed.cause : (error as Error);
  } finally {
    clearInterval(timer);
  }
  return {
    report,
    sink: sink.summary(),
    sizeSamples: sizer instanceof AdaptiveSizer ? sizer.history : undefined,
    deadLettersInLog: deadLetterLog?.size,
    failure,
    ...(file === undefined ? {} : { input: { id: file.source.id, resumedAfterLine: file.resumedAfterLine } }),
    outputs: outputs.map(({ spec, written }) => ({ spec, written: written() })),
    ...(pool instanceof WorkerPool || pool instanceof ProcessPool ? {} : { remote: pool.stats() }),
  };
}

/** The JetStream executor, loaded only for a run that uses it. */
async function openRemote(options: SensorPipelineOptions): Promise<JetStreamExecutor> {
  const remote = options.jetstream;
  if (remote === undefined)
    throw new InvalidArgumentError("the jetstream executor needs jetstream: { server, prefix }");
  const { JetStreamExecutor } = await import("@poolstream/jetstream");
  return new JetStreamExecutor({
    url: remote.server,
    prefix: remote.prefix,
    capacity: remote.capacity ?? 16,
    // A batch no node answers within this fails, and meets the failure policy; nothing waits for ever.
    taskTimeoutMs: remote.batchTimeoutMs ?? 30_000,
    // A node that dies holding a batch has it delivered to another within 2 s (a busy node heartbeats meanwhile).
    ackWaitMs: 2_000,
    ...(options.onInputNews === undefined ? {} : { log: options.onInputNews }),
  });
}

/**
 * The input: a file resumed from the position the SQLite output holds for it
 * (if any), or an MQTT subscription whose messages are acknowledged when the
 * SQLite output commits them (if there is one).
 */
function openInput(
  input: FileInput | MqttInput | JetStreamInput,
  outputs: readonly OutputSpec[],
  news: ((line: string) => void) | undefined,
  brokers: BrokerModules,
): { source: FileSource | MqttSource | JetStreamSource; resumedAfterLine: number | undefined } {
  const database = outputs.find((output) => output.kind === "sqlite");
  if (input.kind === "jetstream") {
    const { JetStreamSource: Source, streamNameOf } = brokers.jetstream as JetStreamModule;
    const source = new Source({
      url: input.server,
      stream: streamNameOf(input.prefix),
      subjects: [`${input.prefix}.>`],
      ...(input.fields ? { fields: input.fields } : {}),
      checkpoint: database !== undefined,
      ...(news ? { log: news } : {}),
    });
    return { source, resumedAfterLine: undefined };
  }
  if (input.kind === "mqtt") {
    const source = new (brokers.mqtt as MqttModule).MqttSource({
      url: input.server,
      topics: [input.topic],
      ...(input.fields ? { fields: input.fields } : {}),
      checkpoint: database !== undefined,
      ...(news ? { log: news } : {}),
    });
    return { source, resumedAfterLine: undefined };
  }
  const probe = new FileSource({ path: input.path, ...(input.format ? { format: input.format } : {}) });
  const stored = database === undefined || input.path === "-" ? undefined : storedPosition(database.path, probe.id);
  const source = new FileSource({
    path: input.path,
    ...(input.format ? { format: input.format } : {}),
    ...(input.fields ? { fields: input.fields } : {}),
    ...(stored === undefined ? {} : { resumeFrom: stored }),
    // Positions are kept only for a database that stores them: nothing else would commit them.
    checkpoint: database !== undefined && input.path !== "-",
  });
  const resumedAfterLine = stored === undefined ? undefined : (JSON.parse(stored) as { line: number }).line;
  return { source, resumedAfterLine };
}

/** The outputs, the SQLite one last and holding the file source's checkpoint. */
function openOutputs(
  specs: readonly OutputSpec[],
  source: FileSource | MqttSource | JetStreamSource | undefined,
  brokers: BrokerModules,
) {
  const ordered: OutputSpec[] = [
    ...specs.filter((s) => s.kind !== "sqlite"),
    ...specs.filter((s) => s.kind === "sqlite"),
  ];
  const opened: {
    spec: OutputSpec;
    sink:
      | NdjsonSink<SensorRecord>
      | SqliteSink<SensorRecord>
      | MqttPublishSink<SensorRecord>
      | JetStreamPublishSink<SensorRecord>;
    written: () => number;
  }[] = [];
  try {
    for (const spec of ordered) {
      if (spec.kind === "ndjson") {
        const output = new NdjsonSink<SensorRecord>({ path: spec.path });
        opened.push({ spec, sink: output, written: () => output.lines });
      } else if (spec.kind === "mqtt-alerts") {
        const output: MqttPublishSink<SensorRecord> = new (brokers.mqtt as MqttModule).MqttPublishSink<SensorRecord>({
          url: spec.path,
          lane: "CRITICAL",
        });
        opened.push({ spec, sink: output, written: () => output.published });
      } else if (spec.kind === "jetstream-alerts") {
        const output: JetStreamPublishSink<SensorRecord> = new (
          brokers.jetstream as JetStreamModule
        ).JetStreamPublishSink<SensorRecord>({ url: spec.path, lane: "CRITICAL" });
        opened.push({ spec, sink: output, written: () => output.published });
      } else {
        mkdirSync(dirname(spec.path), { recursive: true });
        const checkpoint = source?.checkpoint;
        const output = new SqliteSink<SensorRecord>({
          path: spec.path,
          thread: true,
          ...(checkpoint ? { checkpoint } : {}),
        });
        opened.push({ spec, sink: output, written: () => output.stats().rows });
      }
    }
  } catch (error) {
    for (const { sink: output } of opened) output.close();
    throw error;
  }
  return opened;
}

function policyFor(
  mode: FailureMode,
  recovery: Executor | undefined,
  deadLetterLog: DeadLetterLog | undefined,
): FailurePolicy {
  if (mode === "collect") return collectFailures();
  if (mode === "fail" || recovery === undefined || deadLetterLog === undefined) return failFast();
  return recoverThenDeadLetter({ recoveryExecutor: recovery, deadLetterLog, bisect: true });
}

function openDeadLetterLog(path = ".poolstream/dead-letters.sqlite"): DeadLetterLog {
  if (path === ":memory:") return new DeadLetterLog();
  mkdirSync(dirname(path), { recursive: true });
  return new DeadLetterLog({ path });
}

function clockOf(options: SensorPipelineOptions): { clock?: Clock } {
  return options.clock === undefined ? {} : { clock: options.clock };
}
