/** @poolstream/pool: running kernels on Bun Workers. */

export {
  type BatchTransport,
  columnarTransport,
  type EncodedBatch,
  objectTransport,
  runBatch,
} from "./batch-transport.ts";
export {
  ANOMALY_THRESHOLD,
  allocateBatchStats,
  type BatchStatsColumns,
  computeBatch,
  computeBatchColumnar,
  computeBatchRecords,
  computeBatchStats,
  materializeProcessed,
  minMaxNormalize,
  ROLLING_WINDOW,
  StatFlag,
  valuesOf,
} from "./kernels/compute-batch.ts";
export {
  computeHeavyBatch,
  computeHeavyColumnar,
  computeLightBatch,
  computeLightColumnar,
  HEAVY_TRIG_OPERATIONS,
  heavyScore,
  lightScore,
  scoreValues,
} from "./kernels/light-heavy.ts";
export {
  type LightHeavyKernel,
  lightHeavyTransport,
  type ScoreTransport,
  type TransportName,
} from "./light-heavy-transports.ts";
export {
  type ComputeLayerStats,
  ProcessPoolComputeLayer,
  type ProcessPoolComputeLayerOptions,
} from "./process-pool-compute-layer.ts";
export type { ExecutorStats, RunOptions, TaskExecutor, TaskPriority } from "./task-executor.ts";
export { WorkerPool, type WorkerPoolOptions } from "./worker-pool.ts";
