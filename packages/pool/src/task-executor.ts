/**
 * The seam between pipelines and whatever runs their kernels. `WorkerPool`
 * implements it with Bun Workers; a child-process or distributed job-queue
 * backend can implement it without the pipelines noticing.
 */
import type { Kernel } from "@poolstream/core";

/** Urgent tasks are dispatched before every normal task that is still waiting. */
export type TaskPriority = "urgent" | "normal";

export interface RunOptions {
  /** Withdraws the task if it has not started; a started task's result is discarded. */
  readonly signal?: AbortSignal;
  /** Per-task limit on running time; overrides the executor's default. */
  readonly timeoutMs?: number;
  /** Buffers inside `input` to move to the worker instead of copying. Unusable here afterwards. */
  readonly transfer?: readonly Transferable[];
  readonly priority?: TaskPriority;
}

export interface ExecutorStats {
  readonly workers: number;
  readonly pending: number;
  readonly inFlight: number;
  readonly completed: number;
  readonly failed: number;
  readonly crashes: number;
  readonly timeouts: number;
  readonly workersStarted: number;
}

export interface TaskExecutor extends AsyncDisposable {
  /**
   * Runs `task(input)` and resolves with its output. Rejects with
   * `TaskFailedError` when the task threw, `WorkerCrashedError` when its
   * worker died, `TaskTimeoutError` past its timeout, `PoolClosedError` when
   * the executor closed first.
   */
  run<I, O>(task: Kernel<I, O>, input: I, options?: RunOptions): Promise<O>;
  /** Stops accepting tasks, finishes the ones accepted, releases every worker. Idempotent. */
  close(): Promise<void>;
  stats(): ExecutorStats;
}
