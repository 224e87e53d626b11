/**
 * The seam between a pool's scheduling (`HostPool`) and what runs its tasks:
 * a thread Worker (`WorkerPool`), a child process (`@poolstream/process`).
 * A host carries task requests to one worker and reports what comes back
 * and when the worker dies; the pool decides everything else (which worker
 * gets which task, timeouts, retries, moving tasks off a stuck worker).
 */
import type { TaskRequest, TaskResponse, TaskStarted, WorkerCrashedError } from "@poolstream/core";
import type { ClaimBoard } from "./claim-board.ts";

/** What a pool hears from one worker. */
export interface WorkerHostEvents {
  /** An answer, or a task's start after its kernel's module loaded. `receivedAt` is `performance.now()` on arrival. */
  message(message: TaskResponse | TaskStarted, receivedAt: number): void;
  /** The worker died or exited; reported at most once, also after `terminate()`. */
  died(error: WorkerCrashedError): void;
  /**
   * A request `send` accepted could not be sent after all: its input cannot
   * be cloned. For hosts that send after `send` returns (a thread sends the
   * requests of one turn together); the worker is unharmed.
   */
  unsendable(taskId: number, error: unknown): void;
  /** A request `send` accepted left later, taking `postMs` of this thread's time: part of the task's cost. */
  sent(taskId: number, postMs: number): void;
}

/** One worker, as a pool drives it. */
export interface WorkerHost {
  /**
   * Sends a request. Returns true when the buffers of `transfer` were moved
   * to the worker (they are unusable here now), false when they stayed (they
   * were copied: into a process's channel, or into shared memory), or none
   * were listed. Throws when its input cannot be sent (it cannot be cloned),
   * or reports that later through `unsendable`; the worker is unharmed.
   */
  send(request: TaskRequest, transfer: readonly Transferable[] | undefined): boolean;
  /**
   * The claim board shared with the worker, where the host can share memory
   * with it (a thread): only then can a task the worker has not started be
   * moved to another worker.
   */
  readonly claims: ClaimBoard | undefined;
  /** Whether this worker keeps the program alive: only while it holds tasks. */
  keepAlive(alive: boolean): void;
  /** Ends the worker now. */
  terminate(): void;
  /** Resolves when the worker is gone for good. */
  readonly exited: Promise<void>;
}

/** Starts workers of one kind. */
export interface WorkerHostFactory {
  /** `name` is the worker's, for messages; `capacity` is how many tasks the pool sends it at most. */
  spawn(name: string, capacity: number, events: WorkerHostEvents): WorkerHost;
}
