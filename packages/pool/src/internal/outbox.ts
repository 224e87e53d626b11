/**
 * The requests a pool sends one thread worker within one turn of the event
 * loop travel in one message, and the worker sends the answers of the quick
 * ones back together (see `worker-entry.ts`). A message between threads
 * costs the receiving side a wake-up and a dispatch whatever it carries, and
 * when everything is submitted at once that, not the tasks, was most of the
 * main thread's time: one message for the tasks a worker is handed together
 * pays it once. A single request goes alone.
 *
 * The message leaves at the end of the current turn's synchronous work (a
 * microtask), or earlier when the host must keep order with a request that
 * goes now (one that transfers buffers, or a batch in shared memory): then
 * `flush` sends these first. The worker runs requests in the order they were
 * added. An input is cloned when its message leaves.
 */
import type { KernelRef, TaskRequest } from "@poolstream/core";

/** A message carrying several requests, in the order the worker runs them. */
export interface RequestBatch {
  readonly requests: readonly TaskRequest[];
}

/** A message carrying several answers, in the order they were given. */
export interface ResponseBatch<M> {
  readonly responses: readonly M[];
}

/** Where an outbox sends, and what it tells its host. */
export interface OutboxPort {
  /** Posts a message; throws when it cannot be cloned (nothing is sent then). */
  post(message: TaskRequest | RequestBatch): void;
  /** The request went, in this order; `postMs` is its share of the time `post` took. */
  sent(request: TaskRequest, postMs: number): void;
  /** The request cannot be sent (its input cannot be cloned); the others went. */
  unsendable(request: TaskRequest, error: unknown): void;
}

export class Outbox {
  readonly #port: OutboxPort;
  #requests: TaskRequest[] = [];
  #queued = false;
  readonly #flush = () => this.flush();

  constructor(port: OutboxPort) {
    this.#port = port;
  }

  /** Queues `request` (whose input transfers nothing); it leaves with the others added in this turn. */
  add(request: TaskRequest): void {
    this.#requests.push(request);
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(this.#flush);
  }

  /** Sends what is queued now. */
  flush(): void {
    this.#queued = false;
    const requests = this.#requests;
    if (requests.length === 0) return;
    this.#requests = [];
    if (requests.length === 1) {
      this.#sendAlone(requests[0] as TaskRequest);
      return;
    }
    const start = performance.now();
    try {
      this.#port.post({ requests });
    } catch {
      // One of them cannot be cloned, and nothing went: each on its own, so only that one fails.
      this.#sendEachAlone(requests);
      return;
    }
    const share = (performance.now() - start) / requests.length;
    for (const request of requests) this.#port.sent(request, share);
  }

  /** Drops what is queued: the worker is gone, and the pool sends those tasks elsewhere. */
  clear(): void {
    this.#requests = [];
  }

  #sendEachAlone(requests: readonly TaskRequest[]): void {
    // A kernel's address goes with its first request; if that one cannot go, the next of that kernel carries it.
    const orphaned = new Map<number, KernelRef>();
    for (const queued of requests) {
      const ref = orphaned.get(queued.kernelId);
      const request = ref !== undefined && queued.kernel === undefined ? { ...queued, kernel: ref } : queued;
      if (ref !== undefined) orphaned.delete(queued.kernelId);
      if (!this.#sendAlone(request) && request.kernel !== undefined) orphaned.set(request.kernelId, request.kernel);
    }
  }

  #sendAlone(request: TaskRequest): boolean {
    const start = performance.now();
    try {
      this.#port.post(request);
    } catch (error) {
      this.#port.unsendable(request, error);
      return false;
    }
    this.#port.sent(request, performance.now() - start);
    return true;
  }
}
