/** The snapshot `stats()` returns at any moment, and the report `run()` resolves with. */
import type { Distribution, SourceReport } from "@poolstream/core";

export type PipelineState = "ready" | "running" | "draining" | "stopped" | "failed";

export interface LaneSnapshot {
  readonly name: string;
  /** Records waiting in the lane now. */
  readonly depth: number;
  readonly capacity: number;
  /** Records of this lane delivered to the sinks. */
  readonly delivered: number;
  /** Creation → delivery to the sinks, sampled per batch (see `latencySamples`). */
  readonly latencyMs: Distribution;
}

/**
 * Where every record went. `entered` counts the records the lanes accepted;
 * each of them is exactly one of the others, so `holds` is
 * `entered = results + errorRecords + poisonPills + deadLetters + unwritten + leftInLanes`.
 * The last two are 0 unless the pipeline failed.
 */
export interface Accounting {
  readonly entered: number;
  readonly results: number;
  readonly errorRecords: number;
  readonly poisonPills: number;
  readonly deadLetters: number;
  /** Computed, or failed, but not written: a sink failed, or stopping timed out while they were in flight. */
  readonly unwritten: number;
  /** Still in the lanes when a failure stopped the pipeline; never cut into a batch. */
  readonly leftInLanes: number;
  readonly holds: boolean;
}

export interface PipelineCounters {
  readonly batchesCut: number;
  readonly batchesCompleted: number;
  /** Calls that failed as a whole, first attempts and retries alike. */
  readonly failedCalls: number;
  /** Failed batches (or parts of them) computed on a later attempt. */
  readonly recoveries: number;
}

export interface PipelineStats {
  readonly state: PipelineState;
  readonly elapsedMs: number;
  readonly lanes: readonly LaneSnapshot[];
  readonly inFlight: number;
  readonly batchSize: number;
  /** Records delivered per second since the start. */
  readonly throughputPerSec: number;
  readonly counters: PipelineCounters;
  readonly accounting: Accounting;
}

/** A change of batch size: from `batch` on, batches were cut at `size`. */
export interface SizeChange {
  readonly batch: number;
  readonly size: number;
}

export type StopReason = "input ended" | "duration elapsed" | "aborted" | "failed";

export interface PipelineReport extends PipelineStats {
  readonly stopReason: StopReason;
  /** What the input reported (per-source counts, sources that failed while the others went on). */
  readonly source: SourceReport | undefined;
  /** The batch size over the run: the first size and every change (the last 1,000). */
  readonly sizeHistory: readonly SizeChange[];
  /** False when stopping gave up on batches still in flight after `drainTimeoutMs`. */
  readonly drained: boolean;
}
