/**
 * Hands completed batches to the sinks in order within each lane. Batches
 * complete out of order (several are in flight); a lane's part of a batch is
 * written only after the parts of the same lane cut before it, so results
 * keep their order within a lane while a CRITICAL part never waits for a
 * NORMAL one. Writes are serialized: a sink sees one write at a time.
 */

export interface LanePart<T> {
  readonly lane: number;
  /** Position of this part among the parts of its lane, in cut order. */
  readonly seq: number;
  readonly part: T;
}

interface Waiting<T> {
  readonly part: T;
  readonly written: () => void;
}

export class OrderedDelivery<T> {
  readonly #write: (part: T) => Promise<void>;
  readonly #nextCut: number[];
  readonly #nextWrite: number[];
  readonly #waiting: Map<number, Waiting<T>>[];
  #chain: Promise<void> = Promise.resolve();

  /** `write` must not reject: it handles (and records) its own failures. */
  constructor(lanes: number, write: (part: T) => Promise<void>) {
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
   * The part for a reserved place is ready; resolves once it was written. Every
   * reserved place must be offered exactly once (an empty part too), or the
   * lane's later parts would wait for it for ever.
   */
  offer(lane: number, seq: number, part: T): Promise<void> {
    return new Promise<void>((written) => {
      (this.#waiting[lane] as Map<number, Waiting<T>>).set(seq, { part, written });
      this.#flush(lane);
    });
  }

  /** Resolves when every part offered so far has been written. */
  idle(): Promise<void> {
    return this.#chain;
  }

  #flush(lane: number): void {
    const waiting = this.#waiting[lane] as Map<number, Waiting<T>>;
    for (;;) {
      const seq = this.#nextWrite[lane] as number;
      const next = waiting.get(seq);
      if (next === undefined) return;
      waiting.delete(seq);
      this.#nextWrite[lane] = seq + 1;
      // A write that rejects (it should not) must not stall the lanes behind it.
      this.#chain = this.#chain
        .then(() => this.#write(next.part))
        .catch(() => {})
        .then(next.written);
    }
  }
}
