/** @poolstream/pool: running kernels on Bun Workers. */
export {
  ANOMALY_THRESHOLD,
  computeBatch,
  computeBatchRecords,
  minMaxNormalize,
  ROLLING_WINDOW,
} from "./kernels/compute-batch.ts";
export { type ComputeLayerStats, ProcessPoolComputeLayer } from "./process-pool-compute-layer.ts";
export type { ExecutorStats, RunOptions, TaskExecutor, TaskPriority } from "./task-executor.ts";
export { WorkerPool, type WorkerPoolOptions } from "./worker-pool.ts";
