/**
 * The seam between a pipeline and whatever runs its kernels. `WorkerPool`
 * (`@poolstream/pool`) implements it with Bun Workers, `InProcessExecutor`
 * (here) on the calling thread; a distributed backend implements the same
 * interface, and no stage notices which one it got.
 */
import type { Kernel } from "./kernel.ts";

/** Urgent tasks are dispatched before every normal task that is still waiting. */
export type TaskPriority = "urgent" | "normal";

export interface RunOptions {
  /** Withdraws the task if it has not started; a started task's result is discarded. */
  readonly signal?: AbortSignal;
  /** Per-task limit on running time; overrides the executor's default. */
  readonly timeoutMs?: number;
  /**
   * Buffers inside `input` that may be moved instead of copied: a hint. A
   * thread backend moves them (they are unusable here afterwards); a backend
   * that serializes anyway ignores it.
   */
  readonly transfer?: readonly Transferable[];
  /** A hint too: a backend without priorities runs every task as normal. */
  readonly priority?: TaskPriority;
}

/** A frozen snapshot of an executor's counters. */
export interface ExecutorStats {
  /** Workers (threads, processes, nodes) alive now. */
  readonly workers: number;
  /** Tasks accepted and not yet started. */
  readonly pending: number;
  /** Tasks started and not yet settled. */
  readonly inFlight: number;
  readonly completed: number;
  readonly failed: number;
  readonly crashes: number;
  readonly timeouts: number;
  readonly workersStarted: number;
}

export interface Executor extends AsyncDisposable {
  /**
   * How many tasks it can usefully hold at once: enough to keep every worker
   * busy, no more. A pipeline keeps at most this many batches outstanding, so
   * a backlog waits upstream (where priorities apply), not inside the executor.
   */
  readonly capacity: number;
  /**
   * Runs `kernel(input)` and resolves with its output. Rejects with
   * `TaskFailedError` when the kernel threw, `WorkerCrashedError` when its
   * worker died, `TaskTimeoutError` past its timeout, `PoolClosedError` when
   * the executor closed first, and `AbortError` when `signal` fired first.
   */
  run<I, O>(kernel: Kernel<I, O>, input: I, options?: RunOptions): Promise<O>;
  /** Stops accepting tasks, finishes the ones accepted, releases every worker. Idempotent. */
  close(): Promise<void>;
  stats(): ExecutorStats;
}
