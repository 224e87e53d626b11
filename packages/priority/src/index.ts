/** @poolstream/priority: CRITICAL records computed before NORMAL ones, with latency tracked per lane. */
export { classify, FAILURE_THRESHOLD, isSafeValue, OVERHEAT_THRESHOLD, Priority } from "./classify.ts";
export {
  computePriorityBatch,
  computePriorityColumnar,
  FAILED_SENSOR_URGENCY,
  nominalNormalized,
  type PriorityBatchInput,
  type PriorityColumns,
  type PriorityResult,
  urgencyScore,
} from "./kernels/compute-priority-batch.ts";
export {
  type GetBatchOptions,
  type PrioritizedRecord,
  PriorityBatchQueue,
  type PriorityBatchQueueOptions,
  type PriorityQueueStats,
} from "./priority-batch-queue.ts";
export {
  PriorityPoolProcessor,
  type PriorityPoolProcessorOptions,
  type PriorityProcessorStats,
} from "./priority-pool-processor.ts";
export {
  type PriorityTransport,
  priorityColumnarTransport,
  priorityObjectTransport,
} from "./priority-transport.ts";
export { priorityValueGenerator } from "./priority-values.ts";
