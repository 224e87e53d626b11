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
  /**
   * Makes the input again, for an input whose buffers were transferred away:
   * an executor calls it to run the task once more after the worker holding
   * the buffers died, or to move a task that a stuck worker has not started to
   * a free one. Without it such a task cannot be run again or moved.
   * `runBatch` passes the transport's encoding of the batch.
   */
  readonly reencode?: () => { readonly input: unknown; readonly transfer?: readonly Transferable[] };
  /** A hint too: a backend without priorities runs every task as normal. */
  readonly priority?: TaskPriority;
  /**
   * Filled in, before the task settles, by an executor that can tell what the
   * task itself cost; left as it is by one that cannot (a remote backend).
   * An object the caller owns, so that measuring costs no callback per task.
   */
  readonly timing?: TaskTiming;
}

/**
 * What one task cost, apart from any wait in line. Times "at" are
 * milliseconds since the epoch (`performance.timeOrigin + performance.now()`),
 * comparable across the threads of one process.
 */
export interface TaskTiming {
  /** When the worker started running the task (its kernel's module already loaded). */
  startedAtMs?: number;
  /** When the kernel returned on the worker, before its output was sent back. */
  finishedAtMs?: number;
  /**
   * The task's own cost: its running time on the worker plus the executor's
   * own time on this thread sending its input and receiving its output. The
   * time it waited, for a worker or behind another task, is left out.
   * `runBatch` adds the transport's encoding and decoding to it.
   */
  costMs?: number;
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
  /** Worker deaths (crashes, not timeouts). */
  readonly crashes: number;
  /**
   * Tasks whose worker died while they ran and that were run again, once, on
   * another worker: a worker can die of an error its previous task left
   * behind (a timer that throws after the kernel returned), so the task
   * running at the time is reported as crashed only if it dies again.
   */
  readonly interrupted: number;
  /**
   * Tasks that waited on a worker behind another task and were moved, not yet
   * started, to a worker with nothing to do (so one slow or hung task does not
   * hold up the tasks queued behind it).
   */
  readonly moved: number;
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
