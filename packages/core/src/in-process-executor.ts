/**
 * An executor that runs kernels on the calling thread: the same interface as
 * the Worker pool, without threads. For logic tests, for kernels too cheap to
 * be worth a thread hop, and for replaying a few dead letters. Errors come
 * back as they would from a pool (`TaskFailedError` with the error as data),
 * so code tested here behaves the same on Workers. Inputs are not cloned and
 * transfer lists are ignored: the kernel sees the caller's objects.
 */
import { AbortError, InvalidArgumentError, PoolClosedError, serializeError, TaskFailedError } from "./errors.ts";
import type { Executor, ExecutorStats, RunOptions } from "./executor.ts";
import type { Kernel } from "./kernel.ts";

export interface InProcessExecutorOptions {
  /** Tasks it reports it can hold at once. Default 2. */
  readonly capacity?: number;
}

export class InProcessExecutor implements Executor {
  readonly capacity: number;
  readonly #running = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #completed = 0;
  #failed = 0;

  constructor(options: InProcessExecutorOptions = {}) {
    const capacity = options.capacity ?? 2;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 2 ** 31 - 1) {
      throw new InvalidArgumentError(`capacity must be an integer from 1 to 2^31 - 1, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  run<I, O>(kernel: Kernel<I, O>, input: I, options: RunOptions = {}): Promise<O> {
    if (this.#closing !== undefined) return Promise.reject(new PoolClosedError());
    if (typeof kernel !== "function" || (kernel as Partial<Kernel<I, O>>).kernel === undefined) {
      return Promise.reject(new InvalidArgumentError("task must be a kernel made with defineKernel"));
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    let startedAt = 0;
    // A microtask later, as a thread would answer: the caller's code after `run` goes first.
    const task = Promise.resolve()
      .then(() => {
        if (signal?.aborted) throw new AbortError(signal.reason);
        startedAt = performance.now();
        return kernel(input);
      })
      .then(
        (output) => {
          this.#completed++;
          const { timing } = options;
          if (timing !== undefined) {
            // Nothing is sent or received here: the task's cost is its kernel's running time.
            const finishedAt = performance.now();
            timing.startedAtMs = performance.timeOrigin + startedAt;
            timing.finishedAtMs = performance.timeOrigin + finishedAt;
            timing.costMs = finishedAt - startedAt;
          }
          return output;
        },
        (error: unknown) => {
          this.#failed++;
          throw error instanceof AbortError ? error : new TaskFailedError(serializeError(error));
        },
      );
    this.#running.add(task);
    const forget = () => this.#running.delete(task);
    task.then(forget, forget);
    return task;
  }

  /** Stops accepting tasks and waits for the ones under way. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= Promise.allSettled([...this.#running]).then(() => undefined);
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  stats(): ExecutorStats {
    return Object.freeze({
      workers: 1,
      pending: 0,
      inFlight: this.#running.size,
      completed: this.#completed,
      failed: this.#failed,
      crashes: 0,
      interrupted: 0,
      moved: 0,
      timeouts: 0,
      workersStarted: 1,
    });
  }
}
