/** The messages between a pool and its Workers. Plain data only: they cross `postMessage`. */
import type { SerializedError } from "./errors.ts";
import type { KernelRef } from "./kernel.ts";

export interface TaskRequest {
  readonly id: number;
  /** The pool's number for the kernel; the Worker remembers what it stands for. */
  readonly kernelId: number;
  /** Sent only the first time a Worker sees `kernelId`, so later requests clone no strings. */
  readonly kernel?: KernelRef;
  readonly input: unknown;
  /**
   * The task's cell on its worker's claim board (a `SharedArrayBuffer` the
   * pool shares with a thread worker): the worker starts the task only if it
   * wins the cell, and the pool can take back a task the worker has not
   * started. -1 where there is no board (a process worker).
   */
  readonly claim: number;
  /**
   * The send's ticket in that cell: drawn afresh each time a task is sent, so
   * a copy of the request left from an earlier send of the same task can
   * never claim it. 0 where there is no board.
   */
  readonly ticket: number;
  /**
   * Set when the task has a timeout. A thread worker that holds the answers
   * of quick tasks to send them together sends them before it starts a timed
   * task, so that the pool's clock for that task starts when it does.
   */
  readonly timed?: true;
}

export type TaskResponse =
  | {
      readonly id: number;
      readonly ok: true;
      readonly output: unknown;
      /** When the kernel started and returned, ms since the epoch (`performance.timeOrigin + now()`). */
      readonly startedAtMs: number;
      readonly finishedAtMs: number;
    }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/**
 * Sent by a Worker when a task starts after its kernel's module had to be
 * loaded: the pool starts the task's timeout from here, not from dispatch.
 */
export interface TaskStarted {
  readonly id: number;
  readonly started: true;
}
