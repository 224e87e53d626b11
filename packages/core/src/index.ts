/** @poolstream/core: what every poolstream package shares. */
export {
  BoundedQueue,
  type BoundedQueueOptions,
  type QueueRead,
  type QueueStats,
  type QueueWaitOptions,
} from "./bounded-queue.ts";
export { type CancelTimer, type Clock, flushMicrotasks, ManualClock, sleep, systemClock } from "./clock.ts";
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
export { defineKernel, type Kernel, type KernelFunction, type KernelRef } from "./kernel.ts";
export {
  isTransferableOutput,
  type TaskRequest,
  type TaskResponse,
  TRANSFER,
  type TransferableOutput,
  transferable,
} from "./protocol.ts";
export { createRandom, deriveSeed, type Random } from "./random.ts";
export type { ProcessedRecord, SensorRecord } from "./records.ts";
export { type Distribution, mean, percentile, SampleRecorder, summarize } from "./stats.ts";
