/** @poolstream/process: the process-isolated executor, which runs kernels in child processes. */

export { ProcessPool, type ProcessPoolOptions } from "./process-pool.ts";
