/**
 * The one error hierarchy of poolstream. Every error the library throws is a
 * `PoolstreamError` with a stable `code`, so callers can branch on data rather
 * than on `instanceof` chains that do not survive a Worker boundary.
 */

/** Stable, machine-readable error codes. */
export const ErrorCode = {
  invalidArgument: "INVALID_ARGUMENT",
  queueClosed: "QUEUE_CLOSED",
  queueTimeout: "QUEUE_TIMEOUT",
  aborted: "ABORTED",
  poolClosed: "POOL_CLOSED",
  workerCrashed: "WORKER_CRASHED",
  taskTimeout: "TASK_TIMEOUT",
  workerStartup: "WORKER_STARTUP",
  taskFailed: "TASK_FAILED",
  sensorFailure: "SENSOR_FAILURE",
  invalidRecord: "INVALID_RECORD",
  storage: "STORAGE",
  sink: "SINK",
  source: "SOURCE",
  pipelineFailed: "PIPELINE_FAILED",
  nestedPool: "NESTED_POOL",
  deliveryLimit: "DELIVERY_LIMIT",
  malformedMessage: "MALFORMED_MESSAGE",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error poolstream throws. */
export class PoolstreamError extends Error {
  override readonly name: string = "PoolstreamError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A constructor option or call argument is outside its documented range. */
export class InvalidArgumentError extends PoolstreamError {
  override readonly name = "InvalidArgumentError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.invalidArgument, message, options);
  }
}

/** `put` on a closed queue, or `get` on a closed queue that has been drained. */
export class QueueClosedError extends PoolstreamError {
  override readonly name = "QueueClosedError";
  constructor(message = "queue is closed") {
    super(ErrorCode.queueClosed, message);
  }
}

/** A `get` with a timeout saw no item in time. */
export class QueueTimeoutError extends PoolstreamError {
  override readonly name = "QueueTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(ErrorCode.queueTimeout, `no item within ${timeoutMs} ms`);
  }
}

/** An operation was cancelled through its `AbortSignal`. */
export class AbortError extends PoolstreamError {
  override readonly name = "AbortError";
  constructor(reason?: unknown) {
    super(ErrorCode.aborted, "operation aborted", { cause: reason });
  }
}

/** A task was submitted to, or still queued in, a pool that is closing. */
export class PoolClosedError extends PoolstreamError {
  override readonly name = "PoolClosedError";
  constructor(message = "pool is closed") {
    super(ErrorCode.poolClosed, message);
  }
}

/**
 * The worker running a task died (process.exit, an uncaught error, or it was
 * terminated). Distinct from `TaskFailedError`: the task itself did not throw.
 */
export class WorkerCrashedError extends PoolstreamError {
  override readonly name = "WorkerCrashedError";
  constructor(
    message: string,
    readonly exitCode?: number,
  ) {
    super(ErrorCode.workerCrashed, message);
  }
}

/** A task ran past its timeout; its worker was terminated and replaced. */
export class TaskTimeoutError extends PoolstreamError {
  override readonly name = "TaskTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(ErrorCode.taskTimeout, `task ran longer than ${timeoutMs} ms`);
  }
}

/**
 * A worker did not start a task within its start-up bound: starting the
 * thread and importing the kernel's module took longer than `timeoutMs`. The
 * worker was terminated and replaced. Start-up has a bound of its own so
 * that a task's timeout counts only its running time.
 */
export class WorkerStartupError extends PoolstreamError {
  override readonly name = "WorkerStartupError";
  constructor(readonly timeoutMs: number) {
    super(
      ErrorCode.workerStartup,
      `the worker did not start the task within ${timeoutMs} ms (thread start and module import)`,
    );
  }
}

/**
 * A task threw inside a worker. The original error crossed the boundary as
 * plain data; `remoteName` and `remoteStack` keep what it said.
 */
export class TaskFailedError extends PoolstreamError {
  override readonly name = "TaskFailedError";
  readonly remoteName: string;
  readonly remoteStack: string | undefined;
  readonly remoteCode: string | undefined;

  constructor(data: SerializedError) {
    super(ErrorCode.taskFailed, `${data.name}: ${data.message}`);
    this.remoteName = data.name;
    this.remoteStack = data.stack;
    this.remoteCode = data.code;
  }
}

/** A simulated or real sensor stopped producing readings. */
export class SensorFailureError extends PoolstreamError {
  override readonly name = "SensorFailureError";
  constructor(
    readonly sensorId: string,
    message: string,
  ) {
    super(ErrorCode.sensorFailure, message);
  }
}

/** A record failed validation (not an object, value not a finite number, ...). */
export class InvalidRecordError extends PoolstreamError {
  override readonly name = "InvalidRecordError";
  constructor(message: string) {
    super(ErrorCode.invalidRecord, message);
  }
}

/** The durable store (SQLite) could not be read or written. */
export class StorageError extends PoolstreamError {
  override readonly name = "StorageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.storage, message, options);
  }
}

/** A sink's `write` or `close` threw: the pipeline stops, since results could not be delivered. */
export class SinkError extends PoolstreamError {
  override readonly name = "SinkError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.sink, message, options);
  }
}

/** A pipeline's input as a whole broke (its source threw); what was ingested was still processed. */
export class SourceFailedError extends PoolstreamError {
  override readonly name = "SourceFailedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.source, message, options);
  }
}

/**
 * A pipeline stopped before its input ended: fail fast saw a batch fail, or
 * the machinery did (a sink, the dead-letter log, the source). `cause` says
 * why; `report` says what was and was not written.
 */
export class PipelineFailedError<Report = unknown> extends PoolstreamError {
  override readonly name = "PipelineFailedError";
  constructor(
    message: string,
    readonly report: Report,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.pipelineFailed, message, options);
  }
}

/**
 * A Worker pool was created inside a Worker that was loading a kernel's
 * module: the module that defines the kernels also starts the program, so
 * every Worker would start another pool. Stopped at once instead of spawning
 * threads without end.
 */
export class NestedPoolError extends PoolstreamError {
  override readonly name = "NestedPoolError";
  constructor(message: string) {
    super(ErrorCode.nestedPool, message);
  }
}

/**
 * A task was delivered to workers as many times as its executor allows and
 * never answered: each worker that took it died or lost it (a remote
 * executor's `MaxDeliver`). Like a crash, the pipeline's failure policy
 * decides what happens to its records.
 */
export class DeliveryLimitError extends PoolstreamError {
  override readonly name = "DeliveryLimitError";
  constructor(readonly deliveries: number) {
    super(
      ErrorCode.deliveryLimit,
      `delivered ${deliveries} times and never answered: every worker that took it was lost`,
    );
  }
}

/** A message that crossed a process boundary could not be read: truncated, not the format, or naming what is not there. */
export class MalformedMessageError extends PoolstreamError {
  override readonly name = "MalformedMessageError";
  constructor(message: string) {
    super(ErrorCode.malformedMessage, message);
  }
}

/** How an error travels across a Worker boundary: structured clone drops prototypes. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
}

/** Turns anything thrown into plain data that survives `postMessage`. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  return { name: "NonError", message: describeThrown(error) };
}

function describeThrown(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Normalizes anything thrown into an `Error`, keeping `Error`s as they are. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(describeThrown(value));
}
