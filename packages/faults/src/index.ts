/** @poolstream/faults: error records, poison pills, crash recovery and a durable dead-letter log. */
export {
  type DeadLetterEntry,
  DeadLetterLog,
  type DeadLetterLogOptions,
  type ReplayOutcome,
} from "./dead-letter-log.ts";
export {
  type FailedEntry,
  type FaultTolerantEntry,
  type PoisonPillEntry,
  RecordStatus,
  type SuccessEntry,
} from "./fault-entries.ts";
export {
  type FaultCounters,
  FaultTolerantBatchProcessor,
  type FaultTolerantBatchProcessorOptions,
  type FaultTolerantOutcome,
} from "./fault-tolerant-batch-processor.ts";
export { type FaultyRecordOptions, generateFaultyRecords } from "./faulty-records.ts";
export {
  computeFaultTolerantBatch,
  computeFaultTolerantRecords,
  type FaultTolerantBatchInput,
  MAX_SAFE_READING,
} from "./kernels/compute-fault-tolerant-batch.ts";
export {
  computeFaultTolerantColumnar,
  computeFaultTolerantColumns,
  type FaultTolerantColumnarInput,
  type FaultTolerantColumns,
  materializeFaultTolerant,
  StatusCode,
  statusOf,
} from "./kernels/compute-fault-tolerant-columnar.ts";
export { decodeFromStore, encodeForStore } from "./store-codec.ts";
