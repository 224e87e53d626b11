/**
 * The lanes records wait in between the sources and the batches: one FIFO
 * lane, or several (CRITICAL and NORMAL) read in order of urgency. Each lane
 * is a `BoundedQueue`, so a full lane makes its producers wait (backpressure)
 * without holding up the other lanes. A batch takes every record of the first
 * lane it has room for before any of the next, optionally keeping a share of
 * each batch for the later lanes so that they cannot starve.
 */
import { BoundedQueue, type QueueStats } from "./bounded-queue.ts";
import { type Clock, systemClock } from "./clock.ts";
import { InvalidArgumentError } from "./errors.ts";

export interface LaneSetOptions<R> {
  /** Lane names, most urgent first. */
  readonly names: readonly string[];
  /** The index (into `names`) of the lane a record belongs in. Must not throw. */
  readonly route: (record: R) => number;
  /** Capacity of each lane. Default 100. */
  readonly capacity?: number;
  /**
   * The first lane is urgent: its records never wait for a batch to fill, and
   * batches of its records alone may use slots kept free of the other lanes.
   * Default false.
   */
  readonly firstLaneUrgent?: boolean;
  /**
   * Share of each batch kept for the later lanes while they hold records, in
   * [0, 1). Default 0: strict priority (later lanes wait, they are never dropped).
   */
  readonly minLaterShare?: number;
  readonly clock?: Clock;
}

export interface LaneStats extends QueueStats {
  readonly name: string;
}

/** How many records of each lane a batch took; lane order, the records are in the same order. */
export type LaneCounts = number[];

export class LaneSet<R> {
  readonly names: readonly string[];
  readonly firstLaneUrgent: boolean;
  readonly minLaterShare: number;
  readonly #lanes: readonly BoundedQueue<R>[];
  readonly #route: (record: R) => number;
  readonly #clock: Clock;
  readonly #readers: (() => void)[] = [];
  readonly #urgentWatchers: (() => void)[] = [];
  #closed = false;

  constructor(options: LaneSetOptions<R>) {
    const capacity = options.capacity ?? 100;
    const share = options.minLaterShare ?? 0;
    if (options.names.length === 0) throw new InvalidArgumentError("a lane set needs at least one lane");
    if (new Set(options.names).size !== options.names.length)
      throw new InvalidArgumentError("lane names must be unique");
    if (!(share >= 0 && share < 1)) throw new InvalidArgumentError(`minLaterShare must be in [0, 1), got ${share}`);
    this.#clock = options.clock ?? systemClock;
    this.names = Object.freeze([...options.names]);
    this.#lanes = this.names.map(() => new BoundedQueue<R>({ capacity, clock: this.#clock }));
    this.#route = options.route;
    this.firstLaneUrgent = options.firstLaneUrgent ?? false;
    this.minLaterShare = share;
  }

  /** Records waiting in every lane. */
  get size(): number {
    let size = 0;
    for (const lane of this.#lanes) size += lane.size;
    return size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Records waiting in lane `index`. */
  depth(index: number): number {
    return this.#lanes[index]?.size ?? 0;
  }

  /** Records accepted so far, over every lane. */
  get accepted(): number {
    let total = 0;
    for (const lane of this.#lanes) total += lane.stats().totalPut;
    return total;
  }

  /** Adds `record` to its lane if there is room now. Throws `QueueClosedError` after `close()`. */
  tryPut(record: R): boolean {
    const lane = this.#laneFor(record);
    if (!this.#lanes[lane]?.tryPut(record)) return false;
    this.#wake(lane);
    return true;
  }

  /** Adds `record`, waiting while its lane is full. Rejects with `QueueClosedError` if closed first. */
  async put(record: R, options?: { readonly signal?: AbortSignal }): Promise<void> {
    const lane = this.#laneFor(record);
    await (this.#lanes[lane] as BoundedQueue<R>).put(record, options);
    this.#wake(lane);
  }

  /**
   * Takes up to `max` records waiting now, most urgent lane first, and writes
   * how many came from each lane into `counts`. With `laterLimit`, at most
   * that many come from the later lanes (0: urgent records only).
   */
  take(max: number, counts: LaneCounts, laterLimit = max): R[] {
    counts.length = this.#lanes.length;
    const first = this.#lanes[0] as BoundedQueue<R>;
    let later = 0;
    for (let i = 1; i < this.#lanes.length; i++) later += (this.#lanes[i] as BoundedQueue<R>).size;
    // Room kept for the later lanes, never more than they hold: an unused reservation goes to the first lane.
    const reserved = Math.min(Math.ceil(max * this.minLaterShare), later, laterLimit);
    const batch = first.takeUpTo(max - reserved);
    counts[0] = batch.length;
    let laterRoom = Math.min(max - batch.length, laterLimit);
    for (let i = 1; i < this.#lanes.length; i++) {
      const taken = (this.#lanes[i] as BoundedQueue<R>).takeUpTo(laterRoom);
      counts[i] = taken.length;
      laterRoom -= taken.length;
      for (const record of taken) batch.push(record);
    }
    return batch;
  }

  /** Resolves true once a record is waiting in any lane, false on timeout; at once when closed. */
  waitForRecords(timeoutMs?: number): Promise<boolean> {
    if (this.size > 0 || this.#closed) return Promise.resolve(true);
    if (timeoutMs !== undefined && timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let cancel: (() => void) | undefined;
      const wake = () => {
        cancel?.();
        resolve(true);
      };
      this.#readers.push(wake);
      if (timeoutMs !== undefined) {
        cancel = this.#clock.setTimer(timeoutMs, () => {
          const index = this.#readers.indexOf(wake);
          if (index >= 0) this.#readers.splice(index, 1);
          resolve(false);
        });
      }
    });
  }

  /** Resolves once the urgent (first) lane holds a record, or the set is closed. */
  waitForUrgent(): Promise<void> {
    if (this.depth(0) > 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#urgentWatchers.push(resolve));
  }

  /** No more puts; waiting producers are rejected, readers get what is left. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const lane of this.#lanes) lane.close();
    for (const wake of this.#readers.splice(0)) wake();
    for (const wake of this.#urgentWatchers.splice(0)) wake();
  }

  stats(): readonly LaneStats[] {
    return Object.freeze(
      this.#lanes.map((lane, i) => Object.freeze({ name: this.names[i] as string, ...lane.stats() })),
    );
  }

  #laneFor(record: R): number {
    const lane = this.#lanes.length === 1 ? 0 : this.#route(record);
    if (!(lane >= 0 && lane < this.#lanes.length)) {
      throw new InvalidArgumentError(`route returned lane ${lane}; lanes are 0 to ${this.#lanes.length - 1}`);
    }
    return lane;
  }

  #wake(lane: number): void {
    if (this.#readers.length > 0) for (const wake of this.#readers.splice(0)) wake();
    if (lane === 0 && this.#urgentWatchers.length > 0) for (const wake of this.#urgentWatchers.splice(0)) wake();
  }
}

/** One FIFO lane named "fifo": the pipeline's default. */
export function fifoLane<R>(options: { readonly capacity?: number; readonly clock?: Clock } = {}): LaneSet<R> {
  return new LaneSet<R>({ names: ["fifo"], route: () => 0, ...options });
}
