/**
 * A failed batch's outcome on the wire, and the typed error it becomes again
 * on the executor's side: errors cross the process boundary as plain data.
 */
import {
  DeliveryLimitError,
  MalformedMessageError,
  type SerializedError,
  serializeError,
  TaskFailedError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerStartupError,
} from "@poolstream/core";

/** What a worker node sends back instead of an output. */
export interface RemoteFailure {
  readonly error: SerializedError;
  /** For a `TaskTimeoutError`, `WorkerStartupError` or `DeliveryLimitError`: the figure it carries. */
  readonly figure?: number;
  readonly exitCode?: number;
}

/** The plain data of `error`, keeping the figures its typed class carries. */
export function remoteFailureOf(error: unknown): RemoteFailure {
  // A kernel's own error, already wrapped by the node's local executor: sent as the kernel threw it.
  if (error instanceof TaskFailedError) {
    const prefix = `${error.remoteName}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    return {
      error: {
        name: error.remoteName,
        message,
        ...(error.remoteStack === undefined ? {} : { stack: error.remoteStack }),
        ...(error.remoteCode === undefined ? {} : { code: error.remoteCode }),
      },
    };
  }
  const data = serializeError(error);
  if (error instanceof TaskTimeoutError || error instanceof WorkerStartupError) {
    return { error: data, figure: error.timeoutMs };
  }
  if (error instanceof DeliveryLimitError) return { error: data, figure: error.deliveries };
  if (error instanceof WorkerCrashedError && error.exitCode !== undefined)
    return { error: data, exitCode: error.exitCode };
  return { error: data };
}

/**
 * The typed error again: a crash, a timeout or a delivery limit as itself (so
 * the failure policy treats it as it would a local one), anything else the
 * kernel threw as `TaskFailedError` carrying what the remote error said.
 */
export function errorOfRemoteFailure(failure: RemoteFailure): Error {
  const { error, figure } = failure;
  switch (error.name) {
    case "WorkerCrashedError":
      return new WorkerCrashedError(error.message, failure.exitCode);
    case "TaskTimeoutError":
      return new TaskTimeoutError(figure ?? 0);
    case "WorkerStartupError":
      return new WorkerStartupError(figure ?? 0);
    case "DeliveryLimitError":
      return new DeliveryLimitError(figure ?? 0);
    case "MalformedMessageError":
      return new MalformedMessageError(error.message);
    default:
      return new TaskFailedError(error);
  }
}

/** Reads a failure body; anything unreadable is itself a failure, never a throw. */
export function parseRemoteFailure(text: string): RemoteFailure {
  try {
    const parsed = JSON.parse(text) as Partial<RemoteFailure>;
    if (typeof parsed?.error?.name === "string" && typeof parsed.error.message === "string") {
      return parsed as RemoteFailure;
    }
  } catch {
    // falls through
  }
  return {
    error: { name: "MalformedMessageError", message: `a failure result that cannot be read: ${text.slice(0, 200)}` },
  };
}
