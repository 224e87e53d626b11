/** @poolstream/faults: failure policies, error records and poison pills, crash simulation, a durable dead-letter log. */

export { decodeFromStore, encodeForStore, type UnstorableValue } from "@poolstream/core";
export {
  type DeadLetterEntry,
  DeadLetterLog,
  type DeadLetterLogOptions,
  type ReplayOptions,
  type ReplayOutcome,
  type ReplayRetry,
} from "./dead-letter-log.ts";
export {
  collectFailures,
  failFast,
  type RecoverThenDeadLetterOptions,
  recoverThenDeadLetter,
} from "./failure-policies.ts";
export {
  type FailedEntry,
  type FaultTolerantEntry,
  type PoisonPillEntry,
  RecordStatus,
  type SuccessEntry,
} from "./fault-entries.ts";
export { type FaultyRecordOptions, generateFaultyRecords } from "./faulty-records.ts";
export {
  computeFaultTolerantBatch,
  computeFaultTolerantColumnar,
  computeFaultTolerantColumns,
  computeFaultTolerantRecords,
  type FaultTolerantColumns,
  type FaultTolerantTransportOptions,
  type FaultTolerantWire,
  failureEntryFor,
  faultTolerantTransport,
  MAX_SAFE_READING,
  materializeFaultTolerant,
  problemWith,
  StatusCode,
  statusOf,
  successEntry,
} from "./kernels/index.ts";
export { type SimulatedCrashOptions, withSimulatedCrashes } from "./simulated-crashes.ts";
