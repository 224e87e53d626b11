/** @poolstream/core: what every poolstream package shares. */
export {
  BoundedQueue,
  type BoundedQueueOptions,
  type QueueRead,
  type QueueStats,
  type QueueWaitOptions,
} from "./bounded-queue.ts";
export { type CancelTimer, type Clock, flushMicrotasks, ManualClock, sleep, systemClock } from "./clock.ts";
export {
  allocateColumnarBatch,
  type ColumnarBatch,
  columnarView,
  decodeColumnar,
  decodeColumnarRecord,
  encodeColumnar,
  isDetached,
  kindOfValue,
  ValueKind,
} from "./columnar-batch.ts";
export { Deque } from "./deque.ts";
export {
  AbortError,
  ErrorCode,
  InvalidArgumentError,
  InvalidRecordError,
  PoolClosedError,
  PoolstreamError,
  QueueClosedError,
  QueueTimeoutError,
  SensorFailureError,
  type SerializedError,
  StorageError,
  serializeError,
  TaskFailedError,
  TaskTimeoutError,
  toError,
  WorkerCrashedError,
} from "./errors.ts";
export { InFlightWindow } from "./in-flight-window.ts";
export { defineKernel, type Kernel, type KernelFunction, type KernelOptions, type KernelRef } from "./kernel.ts";
export type { TaskRequest, TaskResponse } from "./protocol.ts";
export { createRandom, deriveSeed, type Random } from "./random.ts";
export type { ProcessedRecord, SensorRecord } from "./records.ts";
export { SensorInterner } from "./sensor-interner.ts";
export { type Distribution, mean, percentile, SampleRecorder, summarize } from "./stats.ts";
export { collectTransferables } from "./transferables.ts";
