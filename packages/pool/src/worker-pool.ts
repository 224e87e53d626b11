/**
 * The Bun Worker executor: a `HostPool` whose workers are threads of this
 * process. Threads start fast and exchange buffers without copying, and
 * because a thread shares a claim board with the pool, tasks a stuck thread
 * has not started move to a free one. A thread shares the process's heap: a
 * kernel that exhausts memory or crashes natively takes the program down,
 * which is what `ProcessPool` (`@poolstream/process`) is for.
 */
import { HostPool, type PoolOptions } from "./host-pool.ts";
import { threadHosts } from "./internal/thread-host.ts";

/** Options of `WorkerPool`: those of every pool. */
export type WorkerPoolOptions = PoolOptions;

/**
 * Runs kernels on a fixed set of Bun Workers. Create it in the program, never
 * in a module that defines kernels (see `NestedPoolError`), and close it with
 * `await using` or `close()`.
 */
export class WorkerPool extends HostPool {
  /**
   * Starts `size` Workers. Throws `InvalidArgumentError` for an option out of
   * range, and `NestedPoolError` when called while a Worker is importing a
   * kernel's module.
   */
  constructor(options: WorkerPoolOptions = {}) {
    super(threadHosts, options);
  }
}
