/**
 * @poolstream/faults/kernels: the fault-tolerant kernels and their helpers,
 * and nothing else. This is the module a worker imports to find them (by
 * export name), so it must stay light: no SQLite, no pipeline.
 */
export {
  computeFaultTolerantBatch,
  computeFaultTolerantRecords,
  failureEntryFor,
  MAX_SAFE_READING,
  problemWith,
  successEntry,
} from "./compute-fault-tolerant-batch.ts";
export {
  computeFaultTolerantColumnar,
  computeFaultTolerantColumns,
  type FaultTolerantColumns,
  materializeFaultTolerant,
  StatusCode,
  statusOf,
} from "./compute-fault-tolerant-columnar.ts";
export {
  type FaultTolerantTransportOptions,
  type FaultTolerantWire,
  faultTolerantTransport,
} from "./fault-tolerant-transport.ts";
