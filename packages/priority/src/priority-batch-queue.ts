/**
 * Two bounded lanes, CRITICAL and NORMAL, read as batches: every batch takes
 * all the CRITICAL records it has room for before any NORMAL one.
 *
 * Strict priority is the contract, and it has a price: under sustained
 * CRITICAL load, NORMAL records wait for as long as it lasts (they are never
 * dropped, but they starve). `minNormalShare` is the opt-in guard: it reserves
 * that share of each batch for NORMAL records whenever both lanes hold some.
 */
import {
  AbortError,
  BoundedQueue,
  type Clock,
  InvalidArgumentError,
  QueueClosedError,
  QueueTimeoutError,
  type SensorRecord,
  systemClock,
} from "@poolstream/core";
import { Priority } from "./classify.ts";

/** A record with the lane it was put in. */
export type PrioritizedRecord = SensorRecord & { readonly priority: Priority };

export interface PriorityBatchQueueOptions {
  /** Capacity of each lane. Default 100. */
  readonly capacity?: number;
  /**
   * Share of each batch kept for NORMAL records while both lanes hold some,
   * in [0, 1). Default 0: strict priority.
   */
  readonly minNormalShare?: number;
  readonly clock?: Clock;
}

export interface GetBatchOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface PriorityQueueStats {
  readonly critical: number;
  readonly normal: number;
  readonly closed: boolean;
  readonly criticalTaken: number;
  readonly normalTaken: number;
}

export class PriorityBatchQueue {
  readonly criticalQueue: BoundedQueue<PrioritizedRecord>;
  readonly normalQueue: BoundedQueue<PrioritizedRecord>;
  readonly minNormalShare: number;
  readonly #clock: Clock;
  readonly #readers: (() => void)[] = [];
  readonly #criticalWatchers: (() => void)[] = [];
  #closed = false;
  #criticalTaken = 0;
  #normalTaken = 0;

  constructor(options: PriorityBatchQueueOptions = {}) {
    const capacity = options.capacity ?? 100;
    const minNormalShare = options.minNormalShare ?? 0;
    if (!(minNormalShare >= 0 && minNormalShare < 1)) {
      throw new InvalidArgumentError(`minNormalShare must be in [0, 1), got ${minNormalShare}`);
    }
    this.#clock = options.clock ?? systemClock;
    this.criticalQueue = new BoundedQueue({ capacity, clock: this.#clock });
    this.normalQueue = new BoundedQueue({ capacity, clock: this.#clock });
    this.minNormalShare = minNormalShare;
  }

  get size(): number {
    return this.criticalQueue.size + this.normalQueue.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Puts `record` in the lane of `priority`, waiting while that lane is full
   * (the other lane is not held up). Rejects with `QueueClosedError` after `close()`.
   */
  async put(record: SensorRecord, priority: Priority, options?: { readonly signal?: AbortSignal }): Promise<void> {
    if (this.#closed) throw new QueueClosedError();
    const lane = priority === Priority.critical ? this.criticalQueue : this.normalQueue;
    await lane.put({ ...record, priority }, options);
    this.#wakeReaders();
    if (priority === Priority.critical) this.#wakeCriticalWatchers();
  }

  /**
   * The next batch of up to `batchSize` records: every CRITICAL record there is
   * room for, then NORMAL ones. Waits until at least one record is there.
   * Resolves `undefined` once the queue is closed and empty; rejects with
   * `QueueTimeoutError` after `timeoutMs` and `AbortError` when `signal` fires.
   */
  async getBatch(batchSize: number, options: GetBatchOptions = {}): Promise<PrioritizedRecord[] | undefined> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    const deadline = options.timeoutMs === undefined ? undefined : this.#clock.now() + options.timeoutMs;
    for (;;) {
      const batch = this.takeBatch(batchSize);
      if (batch.length > 0) return batch;
      if (this.#closed) return undefined;
      await this.#waitForRecords(deadline, options);
    }
  }

  /**
   * What `getBatch` would return now, without waiting (possibly empty), with
   * at most `maxNormal` NORMAL records.
   */
  takeBatch(batchSize: number, maxNormal = batchSize): PrioritizedRecord[] {
    // Room kept for NORMAL records, never more than there are: an unused reservation goes to CRITICAL.
    const reserved = Math.min(Math.ceil(batchSize * this.minNormalShare), this.normalQueue.size, maxNormal);
    const batch = this.criticalQueue.takeUpTo(batchSize - reserved);
    this.#criticalTaken += batch.length;
    const normal = this.normalQueue.takeUpTo(Math.min(batchSize - batch.length, maxNormal));
    this.#normalTaken += normal.length;
    for (const record of normal) batch.push(record);
    return batch;
  }

  /**
   * Resolves once a CRITICAL record is waiting, or the queue is closed. Only
   * CRITICAL puts wake it, so a stream of NORMAL puts costs it nothing.
   */
  waitForCritical(): Promise<void> {
    if (this.criticalQueue.size > 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#criticalWatchers.push(resolve));
  }

  /** No more puts; readers get what is left, then `undefined`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.criticalQueue.close();
    this.normalQueue.close();
    this.#wakeReaders();
    this.#wakeCriticalWatchers();
  }

  stats(): PriorityQueueStats {
    return Object.freeze({
      critical: this.criticalQueue.size,
      normal: this.normalQueue.size,
      closed: this.#closed,
      criticalTaken: this.#criticalTaken,
      normalTaken: this.#normalTaken,
    });
  }

  #waitForRecords(deadline: number | undefined, options: GetBatchOptions): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const remainingMs = deadline === undefined ? undefined : deadline - this.#clock.now();
    if (remainingMs !== undefined && remainingMs <= 0)
      return Promise.reject(new QueueTimeoutError(options.timeoutMs ?? 0));
    return new Promise<void>((resolve, reject) => {
      let cancelTimer: (() => void) | undefined;
      const wake = () => {
        cancelTimer?.();
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const withdraw = () => {
        const index = this.#readers.indexOf(wake);
        if (index >= 0) this.#readers.splice(index, 1);
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        withdraw();
        cancelTimer?.();
        reject(new AbortError(signal?.reason));
      };
      this.#readers.push(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (remainingMs !== undefined) {
        cancelTimer = this.#clock.setTimer(remainingMs, () => {
          withdraw();
          reject(new QueueTimeoutError(options.timeoutMs ?? 0));
        });
      }
    });
  }

  #wakeReaders(): void {
    for (const wake of this.#readers.splice(0)) wake();
  }

  #wakeCriticalWatchers(): void {
    for (const wake of this.#criticalWatchers.splice(0)) wake();
  }
}
