/** @poolstream/pool: running kernels on Bun Workers. */
export {
  ANOMALY_THRESHOLD,
  computeBatch,
  computeBatchRecords,
  minMaxNormalize,
  ROLLING_WINDOW,
} from "./kernels/compute-batch.ts";
export {
  computeHeavyBatch,
  computeLightBatch,
  HEAVY_TRIG_OPERATIONS,
  heavyScore,
  lightScore,
} from "./kernels/light-heavy.ts";
export { type ComputeLayerStats, ProcessPoolComputeLayer } from "./process-pool-compute-layer.ts";
export type { ExecutorStats, RunOptions, TaskExecutor, TaskPriority } from "./task-executor.ts";
export { WorkerPool, type WorkerPoolOptions } from "./worker-pool.ts";
