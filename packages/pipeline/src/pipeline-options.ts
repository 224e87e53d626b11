/** What `pipeline(...)` takes, and the checks it makes before anything starts. */
import {
  type BatchSizer,
  type BatchTransport,
  type Clock,
  checkDurationMs,
  type Executor,
  type FailurePolicy,
  InvalidArgumentError,
  type LaneSet,
  type RecordFailure,
  type RecordSchema,
  type Sink,
} from "@poolstream/core";
import type { PipelineInput } from "./internal/feed.ts";

/** A transport whose decoded output is one entry per record: a result, or an error record / poison pill. */
// biome-ignore lint/suspicious/noExplicitAny: the wire types are the transport's own business
export type PipelineTransport<R, Out> = BatchTransport<R, any, any, ArrayLike<Out | RecordFailure>>;

export interface PipelineOptions<R, Out> {
  /** Where records come from: a `Source` (e.g. the ingestion layer over many sensors) or any iterable. */
  readonly source: PipelineInput<R>;
  /** Runs the batches: a `WorkerPool`, an `InProcessExecutor`, a remote executor. The caller owns and closes it. */
  readonly executor: Executor;
  /** How batches travel and what comes back: one output per record, in order. */
  readonly transport: PipelineTransport<R, Out>;
  /** The lanes records wait in. Default: one FIFO lane (`fifoLane`) of 1,000 records. */
  readonly lanes?: LaneSet<R>;
  /** The batch size. Default: `fixedSize(100)`. */
  readonly sizer?: BatchSizer;
  /** What becomes of a batch whose call failed. Default: fail fast (the pipeline stops). */
  readonly failurePolicy?: FailurePolicy;
  /** Where outcomes go, in order within a lane. Default: none (the pipeline still counts them). */
  readonly sinks?: readonly Sink<R, Out>[];
  /** How to read records' fields (creation time, for latency). Default: the sensor record's. */
  readonly schema?: RecordSchema<R>;
  /** Cut a batch smaller than its size once no record has arrived for this long. Default 500 ms. */
  readonly maxWaitMs?: number;
  /** Stop ingesting after this long; what was ingested is still processed. Default: until the input ends. */
  readonly durationMs?: number;
  /** A batch running longer fails with `TaskTimeoutError` (the executor enforces it). Default: the executor's. */
  readonly taskTimeoutMs?: number;
  /** How long stopping may wait for batches in flight and sinks before it gives up on them. Default 30 s. */
  readonly drainTimeoutMs?: number;
  /**
   * With an urgent lane: batches holding records of the other lanes that may be
   * in flight at once; the remaining `capacity` slots are kept for batches of
   * urgent records only. Default: half the executor's capacity, rounded up.
   */
  readonly laterSlots?: number;
  /**
   * Records per batch and lane whose latency is sampled, from the oldest to the
   * newest, each weighted by the share it stands for. Default 2: more costs
   * measurable throughput on cheap kernels.
   */
  readonly latencySamples?: number;
  readonly clock?: Clock;
}

/** Validated settings with their defaults. */
export interface PipelineSettings {
  readonly maxWaitMs: number;
  readonly durationMs: number | undefined;
  readonly taskTimeoutMs: number | undefined;
  readonly drainTimeoutMs: number;
  readonly laterSlots: number | undefined;
  readonly latencySamples: number;
}

function checkDuration(name: string, value: number | undefined): void {
  if (value !== undefined) checkDurationMs(name, value);
}

/** Counts (slots, samples, sizes) have the same ceiling as durations: 2^31 − 1. */
const MAX_COUNT = 2 ** 31 - 1;

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value === undefined) return;
  if (!(Number.isInteger(value) && value >= min && value <= MAX_COUNT)) {
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${MAX_COUNT}, got ${value}`);
  }
}

export function checkOptions<R, Out>(options: PipelineOptions<R, Out>): PipelineSettings {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("pipeline needs options");
  const { source, executor, transport } = options;
  if (source === undefined || source === null || typeof source !== "object") {
    throw new InvalidArgumentError("source must be a Source, an Iterable or an AsyncIterable");
  }
  const iterable = Symbol.iterator in source || Symbol.asyncIterator in source;
  if (!iterable && typeof (source as { ingest?: unknown }).ingest !== "function") {
    throw new InvalidArgumentError("source must be a Source, an Iterable or an AsyncIterable");
  }
  if (typeof executor?.run !== "function") throw new InvalidArgumentError("executor must be an Executor");
  checkCount("executor.capacity", executor.capacity, 1);
  if (typeof transport?.encode !== "function" || typeof transport.decode !== "function") {
    throw new InvalidArgumentError("transport must be a BatchTransport");
  }
  checkDuration("maxWaitMs", options.maxWaitMs);
  checkDuration("durationMs", options.durationMs);
  checkDuration("taskTimeoutMs", options.taskTimeoutMs);
  checkDuration("drainTimeoutMs", options.drainTimeoutMs);
  checkCount("laterSlots", options.laterSlots, 1);
  checkCount("latencySamples", options.latencySamples, 1);
  if (options.sizer !== undefined) checkCount("sizer.size", options.sizer.size, 1);
  for (const sink of options.sinks ?? []) {
    if (typeof sink?.write !== "function" || typeof sink.close !== "function") {
      throw new InvalidArgumentError("every sink needs write() and close()");
    }
  }
  return {
    maxWaitMs: options.maxWaitMs ?? 500,
    durationMs: options.durationMs,
    taskTimeoutMs: options.taskTimeoutMs,
    drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
    laterSlots: options.laterSlots,
    latencySamples: options.latencySamples ?? 2,
  };
}
