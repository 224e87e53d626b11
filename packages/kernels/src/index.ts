/**
 * @poolstream/kernels: the batch computations of poolstream as kernels
 * addressed by package name. A worker (thread, process or remote node)
 * imports "@poolstream/kernels" and looks a kernel up by its export name, so
 * every kernel is exported here under the name it was defined with.
 */
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
} from "./compute-batch.ts";
export {
  computeHeavyBatch,
  computeHeavyColumnar,
  computeLightBatch,
  computeLightColumnar,
  HEAVY_TRIG_OPERATIONS,
  heavyScore,
  lightScore,
  scoreValues,
} from "./light-heavy.ts";
export {
  type LightHeavyKernel,
  lightHeavyTransport,
  type ScoreTransport,
  type TransportName,
} from "./light-heavy-transports.ts";
