/**
 * Hands completed batches to the sinks in order within each lane. Batches
 * complete out of order (several are in flight); a lane's part of a batch is
 * written only after the parts of the same lane cut before it, so results
 * keep their order within a lane while a CRITICAL part never waits for a
 * NORMAL one. Writes are serialized: a sink sees one write at a time.
 *
 * Callbacks rather than promises: in the common case (the part is next in its
 * lane, nothing is being written, the sinks answer at once) a part is written
 * and acknowledged synchronously, with no promise made at all; a loop that
 * runs millions of records a second feels every microtask it adds per batch.
 */

interface Ready<T> {
  readonly part: T;
  readonly written: () => void;
}

/** Writes a part; may return a promise (an async sink), must not throw or reject. */
export type PartWriter<T> = (part: T) => void | Promise<void>;

export class OrderedDelivery<T> {
  readonly #write: PartWriter<T>;
  readonly #nextCut: number[];
  readonly #nextWrite: number[];
  readonly #waiting: Map<number, Ready<T>>[];
  /** Parts whose turn has come, in the order they are to be written. */
  readonly #ready: Ready<T>[] = [];
  #writing = false;
  #idleWaiters: (() => void)[] = [];

  constructor(lanes: number, write: PartWriter<T>) {
    this.#write = write;
    this.#nextCut = new Array<number>(lanes).fill(0);
    this.#nextWrite = new Array<number>(lanes).fill(0);
    this.#waiting = Array.from({ length: lanes }, () => new Map());
  }

  /** Takes the next place in `lane`'s order; call when the batch is cut, in cut order. */
  reserve(lane: number): number {
    return (this.#nextCut[lane] as number)++;
  }

  /**
   * The part for a reserved place is ready; `written` is called once it was
   * written (possibly before this returns). Every reserved place must be
   * offered exactly once (an empty part too), or the lane's later parts would
   * wait for it for ever.
   */
  offer(lane: number, seq: number, part: T, written: () => void): void {
    const waiting = this.#waiting[lane] as Map<number, Ready<T>>;
    if (seq === this.#nextWrite[lane]) {
      this.#nextWrite[lane] = seq + 1;
      this.#ready.push({ part, written });
      // The parts of this lane that came back early and waited for this one follow it.
      for (;;) {
        const next = this.#nextWrite[lane] as number;
        const early = waiting.get(next);
        if (early === undefined) break;
        waiting.delete(next);
        this.#nextWrite[lane] = next + 1;
        this.#ready.push(early);
      }
      this.#pump();
    } else {
      waiting.set(seq, { part, written });
    }
  }

  /** Resolves when every part offered in turn so far has been written. */
  idle(): Promise<void> {
    if (!this.#writing && this.#ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(): void {
    while (!this.#writing) {
      const next = this.#ready.shift();
      if (next === undefined) {
        if (this.#idleWaiters.length > 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
        return;
      }
      const pending = this.#write(next.part);
      if (pending === undefined) {
        next.written();
        continue;
      }
      this.#writing = true;
      // A write that rejects (it should not) must not stall the lanes behind it.
      const done = () => {
        this.#writing = false;
        next.written();
        this.#pump();
      };
      pending.then(done, done);
    }
  }
}
