/** @poolstream/core: the interfaces every poolstream stage shares, and the small parts they are built from. */

export {
  type BatchCostMeasure,
  type BatchSizer,
  type BatchTiming,
  fixedSize,
  type SizerContext,
} from "./batch-sizer.ts";
export {
  type BatchTransport,
  type ColumnarTransportOptions,
  columnarTransport,
  type EncodedBatch,
  objectTransport,
  runBatch,
} from "./batch-transport.ts";
export {
  BoundedQueue,
  type BoundedQueueOptions,
  type QueueRead,
  type QueueStats,
  type QueueWaitOptions,
} from "./bounded-queue.ts";
export type { SourceCheckpoint, SourcePosition } from "./checkpoint.ts";
export { type CancelTimer, type Clock, flushMicrotasks, ManualClock, sleep, systemClock } from "./clock.ts";
export {
  allocateColumnarBatch,
  type ColumnarBatch,
  columnarByteLength,
  columnarView,
  decodeColumnar,
  decodeColumnarRecord,
  encodeColumnar,
  isColumnarBatch,
  isDetached,
  kindOfValue,
  ValueKind,
} from "./columnar-batch.ts";
export { Deque } from "./deque.ts";
export { checkDurationMs, durationError, isDurationMs, MAX_DURATION_MS } from "./durations.ts";
export {
  AbortError,
  DeliveryLimitError,
  ErrorCode,
  InvalidArgumentError,
  InvalidRecordError,
  MalformedMessageError,
  NestedPoolError,
  PipelineFailedError,
  PoolClosedError,
  PoolstreamError,
  QueueClosedError,
  QueueTimeoutError,
  SensorFailureError,
  type SerializedError,
  SinkError,
  SourceFailedError,
  StorageError,
  serializeError,
  TaskFailedError,
  TaskTimeoutError,
  toError,
  WorkerCrashedError,
  WorkerStartupError,
} from "./errors.ts";
export type { Executor, ExecutorStats, RunOptions, TaskPriority, TaskTiming } from "./executor.ts";
export {
  type BatchFailure,
  type FailurePolicy,
  type FailureResolution,
  failFast,
  type RecoveryTools,
  type ResolvedPart,
} from "./failure-policy.ts";
export { InFlightWindow } from "./in-flight-window.ts";
export { InProcessExecutor, type InProcessExecutorOptions } from "./in-process-executor.ts";
export { defineKernel, type Kernel, type KernelFunction, type KernelOptions, type KernelRef } from "./kernel.ts";
export { fifoLane, type LaneCounts, LaneSet, type LaneSetOptions, type LaneStats } from "./lanes.ts";
export { LatencyHistogram } from "./latency-histogram.ts";
export type { TaskRequest, TaskResponse, TaskStarted } from "./protocol.ts";
export { createRandom, deriveSeed, type Random } from "./random.ts";
export {
  type ErrorRecord,
  errorRecordOf,
  isRecordFailure,
  type PoisonPill,
  type RecordFailure,
  RecordStatus,
} from "./record-failure.ts";
export { passRecordFailures } from "./record-failures-transport.ts";
export { type RecordSchema, type SchemaFields, schemaOf, sensorSchema } from "./record-schema.ts";
export type { ProcessedFields, ProcessedRecord, SensorRecord } from "./records.ts";
export { SensorInterner, type SensorInternerOptions } from "./sensor-interner.ts";
export type { Sink, SinkBatch } from "./sink.ts";
export type { RecordTarget, Source, SourceError, SourceReport } from "./source.ts";
export { type Distribution, mean, percentile, SampleRecorder, summarize } from "./stats.ts";
export { StoppableReader } from "./stoppable-reader.ts";
export {
  decodeFromStore,
  decodeTaggedJson,
  encodeForStore,
  encodeTaggedJson,
  type UnstorableValue,
} from "./tagged-json.ts";
export { collectTransferables } from "./transferables.ts";
