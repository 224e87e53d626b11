/** @poolstream/priority: CRITICAL and NORMAL lanes for a pipeline, the rule that sorts records into them, and the priority kernels. */
export {
  checkThresholds,
  classifierFor,
  classify,
  DEFAULT_THRESHOLDS,
  FAILURE_THRESHOLD,
  isSafeValue,
  OVERHEAT_THRESHOLD,
  Priority,
  type Thresholds,
} from "./classify.ts";
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
} from "./kernels/index.ts";
export { PRIORITY_LANES, type PriorityLanesOptions, priorityLanes } from "./priority-lanes.ts";
export {
  type PriorityColumnarTransportOptions,
  type PriorityTransport,
  priorityColumnarTransport,
  priorityObjectTransport,
} from "./priority-transport.ts";
export { priorityValueGenerator } from "./priority-values.ts";
