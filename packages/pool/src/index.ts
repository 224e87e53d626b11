/** @poolstream/pool: the Bun Worker executor, which runs kernels on a fixed set of Workers. */

export { WorkerPool, type WorkerPoolOptions } from "./worker-pool.ts";
