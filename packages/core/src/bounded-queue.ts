/**
 * A bounded async FIFO queue: the backpressure point between stages.
 * Producers wait in `put` while it is full, consumers wait in `get` while it is
 * empty, and `close()` lets consumers drain what is left before they see the
 * end of the stream. All waiting is promise-based; nothing polls.
 */
import { type Clock, systemClock } from "./clock.ts";
import { AbortError, InvalidArgumentError, QueueClosedError, QueueTimeoutError } from "./errors.ts";

/** One read: an item, or the reason there was none. */
export type QueueRead<T> =
  | { readonly done: false; readonly value: T }
  | { readonly done: true; readonly reason: "closed" | "timeout" };

export interface QueueWaitOptions {
  /**
   * Give up after this long (on the queue's clock): 0 does not wait at all,
   * Infinity waits for ever (as leaving it out does). NaN and negative values
   * are refused with `InvalidArgumentError`.
   */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface BoundedQueueOptions {
  readonly capacity: number;
  readonly clock?: Clock;
}

export interface QueueStats {
  readonly size: number;
  readonly capacity: number;
  readonly closed: boolean;
  readonly waitingProducers: number;
  readonly waitingConsumers: number;
  readonly totalPut: number;
  readonly totalTaken: number;
}

interface WaitingProducer<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

type WaitingConsumer<T> = (read: QueueRead<T>) => void;

const CLOSED: QueueRead<never> = Object.freeze({ done: true, reason: "closed" });
const TIMED_OUT: QueueRead<never> = Object.freeze({ done: true, reason: "timeout" });

export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  readonly #clock: Clock;
  // Ring buffer: `#length` items starting at `#head`.
  readonly #ring: (T | undefined)[];
  #head = 0;
  #length = 0;
  #closed = false;
  #totalPut = 0;
  #totalTaken = 0;
  // Invariant: producers wait only while the ring is full, consumers only while it is empty.
  readonly #producers: WaitingProducer<T>[] = [];
  readonly #consumers: WaitingConsumer<T>[] = [];

  constructor(options: BoundedQueueOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new InvalidArgumentError(`capacity must be a positive integer, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.#clock = options.clock ?? systemClock;
    this.#ring = new Array<T | undefined>(options.capacity);
  }

  /** Items held now; never more than `capacity`. */
  get size(): number {
    return this.#length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closed and empty: no item will ever come out again. */
  get drained(): boolean {
    return this.#closed && this.#length === 0;
  }

  /** Adds `item` if there is room now. Throws `QueueClosedError` after `close()`. */
  tryPut(item: T): boolean {
    if (this.#closed) throw new QueueClosedError();
    // Checked first: `shift` on an empty array is not free, and this runs for every record.
    const consumer = this.#consumers.length > 0 ? this.#consumers.shift() : undefined;
    if (consumer !== undefined) {
      this.#totalPut++;
      this.#totalTaken++;
      consumer({ done: false, value: item });
      return true;
    }
    if (this.#length === this.capacity) return false;
    this.#push(item);
    return true;
  }

  /** Adds `item`, waiting while the queue is full. Rejects with `QueueClosedError` if closed first. */
  put(item: T, options?: { readonly signal?: AbortSignal }): Promise<void> {
    if (this.tryPut(item)) return Promise.resolve();
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#producers.indexOf(producer);
        if (index >= 0) this.#producers.splice(index, 1);
        reject(new AbortError(signal?.reason));
      };
      const producer: WaitingProducer<T> = {
        item,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      this.#producers.push(producer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Takes the oldest item if there is one now. */
  tryGet(): T | undefined {
    return this.#length === 0 ? undefined : this.#shift();
  }

  /** Takes up to `max` items that are there now, oldest first, without waiting. */
  takeUpTo(max: number): T[] {
    if (this.#producers.length > 0) {
      // Each slot that opens admits a waiting producer, whose item may be taken in the same call.
      const taken: T[] = [];
      while (taken.length < max && this.#length > 0) taken.push(this.#shift());
      return taken;
    }
    const count = Math.max(0, Math.min(max, this.#length));
    const taken = new Array<T>(count);
    // Nobody waits to put: copy out of the ring in one pass, without per-item bookkeeping.
    const ring = this.#ring;
    for (let i = 0; i < count; i++) {
      const at = (this.#head + i) % this.capacity;
      taken[i] = ring[at] as T;
      ring[at] = undefined;
    }
    this.#head = (this.#head + count) % this.capacity;
    this.#length -= count;
    this.#totalTaken += count;
    return taken;
  }

  /**
   * Waits for the next item. Resolves `{ done: true, reason }` at end of
   * stream or on timeout instead of throwing, which suits loops; `get` is the
   * throwing twin.
   */
  poll(options?: QueueWaitOptions): Promise<QueueRead<T>> {
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs >= 0)) {
      return Promise.reject(
        new InvalidArgumentError(`timeoutMs must be a number of ms >= 0 (or Infinity), got ${String(timeoutMs)}`),
      );
    }
    if (this.#length > 0) return Promise.resolve({ done: false, value: this.#shift() });
    if (this.#closed) return Promise.resolve(CLOSED);
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    if (timeoutMs === 0) return Promise.resolve(TIMED_OUT);
    return new Promise<QueueRead<T>>((resolve, reject) => {
      let cancelTimer: (() => void) | undefined;
      const settle = (read: QueueRead<T>) => {
        cancelTimer?.();
        signal?.removeEventListener("abort", onAbort);
        resolve(read);
      };
      const withdraw = () => {
        const index = this.#consumers.indexOf(settle);
        if (index >= 0) this.#consumers.splice(index, 1);
      };
      const onAbort = () => {
        withdraw();
        cancelTimer?.();
        reject(new AbortError(signal?.reason));
      };
      this.#consumers.push(settle);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) {
        cancelTimer = this.#clock.setTimer(timeoutMs, () => {
          withdraw();
          signal?.removeEventListener("abort", onAbort);
          resolve(TIMED_OUT);
        });
      }
    });
  }

  /**
   * Waits for the next item. Rejects with `QueueClosedError` once the queue is
   * closed and drained, `QueueTimeoutError` on timeout, `AbortError` on abort.
   */
  async get(options?: QueueWaitOptions): Promise<T> {
    const read = await this.poll(options);
    if (!read.done) return read.value;
    if (read.reason === "closed") throw new QueueClosedError("queue is closed and drained");
    throw new QueueTimeoutError(options?.timeoutMs ?? 0);
  }

  /**
   * Ends the stream: no more puts, consumers drain what is left and then see
   * the end. Producers still waiting are rejected with `QueueClosedError`
   * (their items were never accepted). Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const producer of this.#producers.splice(0)) producer.reject(new QueueClosedError());
    for (const consumer of this.#consumers.splice(0)) consumer(CLOSED);
  }

  stats(): QueueStats {
    return Object.freeze({
      size: this.#length,
      capacity: this.capacity,
      closed: this.#closed,
      waitingProducers: this.#producers.length,
      waitingConsumers: this.#consumers.length,
      totalPut: this.#totalPut,
      totalTaken: this.#totalTaken,
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const read = await this.poll();
      if (read.done) return;
      yield read.value;
    }
  }

  #push(item: T): void {
    this.#ring[(this.#head + this.#length) % this.capacity] = item;
    this.#length++;
    this.#totalPut++;
  }

  #shift(): T {
    const item = this.#ring[this.#head] as T;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#length--;
    this.#totalTaken++;
    // A slot opened: admit the longest-waiting producer, keeping FIFO order.
    const producer = this.#producers.length > 0 ? this.#producers.shift() : undefined;
    if (producer !== undefined) {
      this.#push(producer.item);
      producer.resolve();
    }
    return item;
  }
}
