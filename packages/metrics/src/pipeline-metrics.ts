/**
 * Prometheus metrics of a running pipeline (prom-client), named and labelled
 * by Prometheus conventions, in base units (seconds):
 *
 * - counters: `poolstream_records_in_total`, `poolstream_records_total{outcome}`
 *   (result, error_record, poison_pill, dead_letter), `poolstream_batches_total{stage}`
 *   (cut, completed), `poolstream_failed_calls_total`, `poolstream_recoveries_total`,
 *   `poolstream_worker_crashes_total`, `poolstream_redeliveries_total`;
 * - gauges: `poolstream_lane_depth{lane}`, `poolstream_batches_in_flight`,
 *   `poolstream_batch_size`, `poolstream_workers_alive`, `poolstream_event_loop_lag_seconds`;
 * - histograms: `poolstream_batch_duration_seconds` (submission to result),
 *   `poolstream_record_latency_seconds{lane}` (creation to delivery, the
 *   oldest record of each lane's part of a batch).
 *
 * Counters and gauges are read from `stats()` when scraped, so they cost the
 * pipeline nothing between scrapes; the histograms hear one event per batch.
 * prom-client's default metrics are not used: their event-loop lag is wrong
 * under Bun, so the lag is measured by `EventLoopLag` instead.
 */
import type { Executor } from "@poolstream/core";
import type { PipelineStats } from "@poolstream/pipeline";
import { Counter, Gauge, Registry } from "prom-client";
import { BucketHistogram, type HistogramSeries } from "./bucket-histogram.ts";
import { CounterTotals } from "./counter-totals.ts";
import { EventLoopLag } from "./event-loop-lag.ts";

/** What is watched: a pipeline's `on` and `stats`. */
export interface WatchedPipeline {
  on(type: "batch-completed", listener: (event: { readonly durationMs: number }) => void): () => void;
  on(
    type: "lane-latency",
    listener: (event: { readonly lane: string; readonly latencyMs: number }) => void,
  ): () => void;
  stats(): PipelineStats;
}

export interface PipelineMetricsOptions {
  /** Where the metrics are registered. Default: a registry of their own. */
  readonly registry?: Registry;
  /** How often the event-loop lag is sampled, ms. Default 500. */
  readonly lagSampleMs?: number;
}

const OUTCOMES = {
  result: (s: PipelineStats) => s.accounting.results,
  error_record: (s: PipelineStats) => s.accounting.errorRecords,
  poison_pill: (s: PipelineStats) => s.accounting.poisonPills,
  dead_letter: (s: PipelineStats) => s.accounting.deadLetters,
} as const;

const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Executor counters some executors keep (the JetStream executor's redeliveries). */
type ExecutorStatsLike = ReturnType<Executor["stats"]> & { readonly redeliveries?: number };
type Reader = (stats: PipelineStats, executor: ExecutorStatsLike | undefined) => number;

export class PipelineMetrics {
  readonly registry: Registry;
  readonly #batchDuration: HistogramSeries;
  readonly #recordLatency: BucketHistogram;
  readonly #lag: EventLoopLag;
  #pipeline: WatchedPipeline | undefined;
  #executor: Executor | undefined;
  #unlisten: (() => void)[] = [];
  /** What earlier pipelines counted, so that counters keep rising across pipelines watched one after another. */
  readonly #carried = new Map<string, number>();
  readonly #totals = new CounterTotals();
  /** How each counter reads the pipeline, by key: known from the start, so a pipeline folded before any scrape still counts. */
  readonly #read = new Map<string, Reader>();
  /** The executor's cumulative counters when the current pipeline was watched. */
  #executorBase = { crashes: 0, redeliveries: 0 };
  /** The stats read during the scrape under way, if one is. */
  #scrape: { pipeline?: PipelineStats | undefined; executor?: ExecutorStatsLike | undefined } | undefined;

  constructor(options: PipelineMetricsOptions = {}) {
    const registry = options.registry ?? new Registry();
    this.registry = registry;
    const registers = [registry];
    const counter = (name: string, help: string, read: Reader): void => {
      const self = this;
      this.#read.set(name, read);
      new Counter({
        name,
        help,
        registers,
        collect() {
          self.#raise(this as Counter, name, undefined);
        },
      });
    };
    counter("poolstream_records_in_total", "Records the lanes accepted.", (s) => s.accounting.entered);
    const self = this;
    for (const [outcome, read] of Object.entries(OUTCOMES)) this.#read.set(`records_total/${outcome}`, read);
    this.#read.set("batches/cut", (s) => s.counters.batchesCut);
    this.#read.set("batches/completed", (s) => s.counters.batchesCompleted);
    new Counter({
      name: "poolstream_records_total",
      help: "Records that reached their end, by outcome; they add up to poolstream_records_in_total once the pipeline is idle.",
      labelNames: ["outcome"],
      registers,
      collect() {
        for (const outcome of Object.keys(OUTCOMES))
          self.#raise(this as Counter, `records_total/${outcome}`, { outcome });
      },
    });
    new Counter({
      name: "poolstream_batches_total",
      help: "Batches cut from the lanes, and batches whose outputs came back.",
      labelNames: ["stage"],
      registers,
      collect() {
        self.#raise(this as Counter, "batches/cut", { stage: "cut" });
        self.#raise(this as Counter, "batches/completed", { stage: "completed" });
      },
    });
    counter("poolstream_failed_calls_total", "Executor calls that failed as a whole.", (s) => s.counters.failedCalls);
    counter(
      "poolstream_recoveries_total",
      "Failed batches, or parts of them, computed on a later attempt.",
      (s) => s.counters.recoveries,
    );
    counter("poolstream_worker_crashes_total", "Workers that died.", (_s, e) => e?.crashes ?? 0);
    counter(
      "poolstream_redeliveries_total",
      "Batches a remote executor had delivered again after a node was lost.",
      (_s, e) => e?.redeliveries ?? 0,
    );
    const gauge = (name: string, help: string, read: Reader) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const stats = self.#pipelineStats();
          if (stats !== undefined) this.set(read(stats, self.#executorStats()));
        },
      });
    new Gauge({
      name: "poolstream_lane_depth",
      help: "Records waiting in each lane.",
      labelNames: ["lane"],
      registers,
      collect() {
        for (const lane of self.#pipelineStats()?.lanes ?? []) this.set({ lane: lane.name }, lane.depth);
      },
    });
    gauge("poolstream_batches_in_flight", "Batches at the executor now.", (s) => s.inFlight);
    gauge("poolstream_batch_size", "The size the next batches are cut at.", (s) => s.batchSize);
    gauge(
      "poolstream_workers_alive",
      "Workers (threads, processes or remote threads) alive now.",
      (_s, e) => e?.workers ?? 0,
    );
    // Observed once per batch on the pipeline's thread: cheap histograms (see BucketHistogram).
    this.#batchDuration = new BucketHistogram({
      name: "poolstream_batch_duration_seconds",
      help: "Time from a batch's submission to the executor to its outputs coming back.",
      buckets: SECONDS_BUCKETS,
      registry,
    }).series();
    this.#recordLatency = new BucketHistogram({
      name: "poolstream_record_latency_seconds",
      help: "Time from a record's creation to its delivery to the sinks: the oldest record of each lane's part of a batch.",
      labelName: "lane",
      buckets: SECONDS_BUCKETS,
      registry,
    });
    this.#lag = new EventLoopLag(registry, options.lagSampleMs ?? 500);
  }

  /**
   * Follows `pipeline` (and `executor`, for crashes, workers and
   * redeliveries) from now on. Watching another later keeps the counters
   * rising from where they were. Returns a function that stops watching.
   */
  watch(pipeline: WatchedPipeline, executor?: Executor): () => void {
    this.#fold();
    this.#pipeline = pipeline;
    this.#executor = executor;
    // An executor's counters are its life's: what it had counted before this pipeline was counted already.
    const base = executor?.stats() as ExecutorStatsLike | undefined;
    this.#executorBase = { crashes: base?.crashes ?? 0, redeliveries: base?.redeliveries ?? 0 };
    this.#unlisten = [
      pipeline.on("batch-completed", (event) => this.#batchDuration.observe(event.durationMs / 1000)),
      pipeline.on("lane-latency", (event) => this.#recordLatency.series(event.lane).observe(event.latencyMs / 1000)),
    ];
    // Stops watching this pipeline only: once another is watched, it does nothing.
    return () => {
      if (this.#pipeline === pipeline) this.#fold();
    };
  }

  /** The metrics in Prometheus's text format. */
  async text(): Promise<string> {
    // One snapshot of the stats per scrape, shared by every metric (each would otherwise take its own).
    this.#scrape = {};
    try {
      return await this.registry.metrics();
    } finally {
      this.#scrape = undefined;
    }
  }

  #pipelineStats(): PipelineStats | undefined {
    if (this.#scrape === undefined) return this.#pipeline?.stats();
    if (!("pipeline" in this.#scrape)) this.#scrape.pipeline = this.#pipeline?.stats();
    return this.#scrape.pipeline;
  }

  #executorStats(): ExecutorStatsLike | undefined {
    if (this.#scrape === undefined) return this.#sinceWatched(this.#executor?.stats());
    if (!("executor" in this.#scrape)) this.#scrape.executor = this.#sinceWatched(this.#executor?.stats());
    return this.#scrape.executor;
  }

  /** The executor's stats with its cumulative counters counted from when the current pipeline was watched. */
  #sinceWatched(stats: ExecutorStatsLike | undefined): ExecutorStatsLike | undefined {
    if (stats === undefined) return undefined;
    return {
      ...stats,
      crashes: stats.crashes - this.#executorBase.crashes,
      redeliveries: (stats.redeliveries ?? 0) - this.#executorBase.redeliveries,
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops the lag sampler and stops watching. Idempotent. */
  close(): void {
    this.#lag[Symbol.dispose]();
    this.#fold();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Raises a counter to what the watched pipeline says now, plus what earlier pipelines counted. */
  #raise(counter: Counter, key: string, labels: Record<string, string> | undefined): void {
    const read = this.#read.get(key);
    const stats = this.#pipelineStats();
    const current = stats === undefined || read === undefined ? 0 : read(stats, this.#executorStats());
    this.#totals.raise(counter, key, (this.#carried.get(key) ?? 0) + current, labels);
  }

  /** Stops following the current pipeline, carrying what it counted. */
  #fold(): void {
    for (const stop of this.#unlisten) stop();
    this.#unlisten = [];
    const pipeline = this.#pipeline;
    if (pipeline === undefined) return;
    const stats = pipeline.stats();
    const executor = this.#sinceWatched(this.#executor?.stats());
    for (const [key, read] of this.#read) this.#carried.set(key, (this.#carried.get(key) ?? 0) + read(stats, executor));
    this.#pipeline = undefined;
    this.#executor = undefined;
  }
}
