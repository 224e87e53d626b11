/**
 * @poolstream/priority/kernels: the priority kernels and their helpers, and
 * nothing else. This is the module a worker imports to find them (by export
 * name), so it stays light.
 */
export {
  computePriorityBatch,
  computePriorityColumnar,
  computePriorityRecords,
  computePriorityWork,
  declaredPriority,
  FAILED_SENSOR_URGENCY,
  nominalNormalized,
  type PrioritizedRecord,
  type PriorityBatchInput,
  type PriorityColumns,
  type PriorityInput,
  type PriorityResult,
  urgencyScore,
} from "./compute-priority-batch.ts";
