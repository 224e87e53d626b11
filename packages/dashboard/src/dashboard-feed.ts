/**
 * What the dashboard shows, taken from a running pipeline: a snapshot of its
 * `stats()` (and its executor's) at one moment, plus what `stats()` cannot
 * say by itself, measured between two snapshots: records a second over that
 * interval, and each lane's latency p50 / p99 over that interval (from the
 * pipeline's `lane-latency` events, one per lane part of a batch). Each
 * snapshot has a sequence number; the last ones are kept, so that what a page
 * shows can be checked against the snapshot it came from.
 */
import type { Executor } from "@poolstream/core";
import type { PipelineStats } from "@poolstream/pipeline";

/** One lane at one moment. */
export interface LaneView {
  readonly name: string;
  /** Records waiting now. */
  readonly depth: number;
  readonly delivered: number;
  /** Over the interval since the previous snapshot; null when the lane delivered nothing in it. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** A remote executor's node, when there are any. */
export interface NodeView {
  readonly node: string;
  readonly batches: number;
  readonly redeliveries: number;
  readonly alive: boolean;
}

export interface DashboardSnapshot {
  readonly seq: number;
  /** Epoch ms when it was taken. */
  readonly at: number;
  readonly state: string;
  readonly elapsedMs: number;
  /** Records delivered a second, over the interval since the previous snapshot. */
  readonly recordsPerSec: number;
  readonly batchSize: number;
  readonly inFlight: number;
  readonly lanes: readonly LaneView[];
  readonly entered: number;
  readonly results: number;
  readonly errorRecords: number;
  readonly poisonPills: number;
  readonly deadLetters: number;
  readonly failedCalls: number;
  readonly recoveries: number;
  /** The executor's workers: alive now, started in all (restarts included), and crashes. */
  readonly workersAlive: number;
  readonly workersStarted: number;
  readonly crashes: number;
  /** For an executor with nodes (JetStream), each node; otherwise null. */
  readonly nodes: readonly NodeView[] | null;
}

/** What the feed reads: a pipeline's `stats()` and its latency events. */
export interface FedPipeline {
  stats(): PipelineStats;
  on(
    type: "lane-latency",
    listener: (event: { readonly lane: string; readonly latencyMs: number }) => void,
  ): () => void;
}

/** Executor stats, with the nodes a remote executor reports. */
type StatsWithNodes = ReturnType<Executor["stats"]> & { readonly nodes?: readonly NodeView[] };

const KEPT = 200;

export class DashboardFeed {
  readonly #pipeline: FedPipeline;
  readonly #executor: Executor | undefined;
  readonly #window = new Map<string, number[]>();
  readonly #kept: DashboardSnapshot[] = [];
  readonly #unlisten: () => void;
  #seq = 0;
  #last: { at: number; delivered: number } | undefined;

  constructor(pipeline: FedPipeline, executor?: Executor) {
    this.#pipeline = pipeline;
    this.#executor = executor;
    this.#unlisten = pipeline.on("lane-latency", (event) => {
      let samples = this.#window.get(event.lane);
      if (samples === undefined) {
        samples = [];
        this.#window.set(event.lane, samples);
      }
      // Bounded: a very busy interval keeps its first 10,000 samples.
      if (samples.length < 10_000) samples.push(event.latencyMs);
    });
  }

  /** Takes a snapshot now (and starts the next interval). */
  snapshot(): DashboardSnapshot {
    const stats = this.#pipeline.stats();
    const executor = this.#executor?.stats() as StatsWithNodes | undefined;
    const at = Date.now();
    const delivered = stats.lanes.reduce((sum, lane) => sum + lane.delivered, 0);
    const seconds = this.#last === undefined ? stats.elapsedMs / 1000 : (at - this.#last.at) / 1000;
    const since = delivered - (this.#last?.delivered ?? 0);
    this.#last = { at, delivered };
    const lanes = stats.lanes.map((lane) => {
      const samples = (this.#window.get(lane.name) ?? []).sort((a, b) => a - b);
      this.#window.set(lane.name, []);
      return {
        name: lane.name,
        depth: lane.depth,
        delivered: lane.delivered,
        p50Ms: quantile(samples, 0.5),
        p99Ms: quantile(samples, 0.99),
      };
    });
    const a = stats.accounting;
    const snapshot: DashboardSnapshot = Object.freeze({
      seq: ++this.#seq,
      at,
      state: stats.state,
      elapsedMs: stats.elapsedMs,
      recordsPerSec: seconds > 0 ? since / seconds : 0,
      batchSize: stats.batchSize,
      inFlight: stats.inFlight,
      lanes,
      entered: a.entered,
      results: a.results,
      errorRecords: a.errorRecords,
      poisonPills: a.poisonPills,
      deadLetters: a.deadLetters,
      failedCalls: stats.counters.failedCalls,
      recoveries: stats.counters.recoveries,
      workersAlive: executor?.workers ?? 0,
      workersStarted: executor?.workersStarted ?? 0,
      crashes: executor?.crashes ?? 0,
      nodes:
        executor?.nodes === undefined
          ? null
          : executor.nodes.map(({ node, batches, redeliveries, alive }) => ({ node, batches, redeliveries, alive })),
    });
    this.#kept.push(snapshot);
    if (this.#kept.length > KEPT) this.#kept.shift();
    return snapshot;
  }

  /** A recent snapshot by its sequence number (the last 200 are kept). */
  snapshotAt(seq: number): DashboardSnapshot | undefined {
    return this.#kept.find((snapshot) => snapshot.seq === seq);
  }

  /** Stops listening to the pipeline. */
  close(): void {
    this.#unlisten();
  }
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
