/**
 * The checkpoint of a source that reads in order and resumes from a
 * position: it hands records out in order, each with the position just past
 * it, and hears which ones were committed, in any order (a CRITICAL record
 * overtakes the NORMAL ones before it). The position to resume from is that
 * of the last record of the longest committed prefix: resuming there never
 * skips a record that was not committed, and re-reads only committed ones,
 * which a sink keyed by identity absorbs. Memory is one entry per record not
 * yet committed.
 */
import { Deque, type SourceCheckpoint, type SourcePosition } from "@poolstream/core";

interface Entry<P> {
  readonly position: P;
  done: boolean;
}

export class PositionTracker<R, P> implements SourceCheckpoint<R> {
  readonly sourceId: string;
  readonly #encode: (position: P) => SourcePosition;
  readonly #order = new Deque<Entry<P>>();
  readonly #entries = new Map<R, Entry<P>>();

  /** `encode` turns a position into what a sink stores; called once per commit, not per record. */
  constructor(sourceId: string, encode: (position: P) => SourcePosition) {
    this.sourceId = sourceId;
    this.#encode = encode;
  }

  /** `record` was handed out; `position` is where to resume to read what comes after it. */
  issued(record: R, position: P): void {
    const entry: Entry<P> = { position, done: false };
    this.#order.push(entry);
    this.#entries.set(record, entry);
  }

  /** Records not committed yet. */
  get outstanding(): number {
    return this.#entries.size;
  }

  commit(records: Iterable<R>): SourcePosition | undefined {
    for (const record of records) {
      const entry = this.#entries.get(record);
      if (entry === undefined) continue; // not this source's, or committed already
      entry.done = true;
      this.#entries.delete(record);
    }
    let last: Entry<P> | undefined;
    for (let head = this.#order.peek(); head?.done === true; head = this.#order.peek()) last = this.#order.shift();
    return last === undefined ? undefined : this.#encode(last.position);
  }

  acknowledge(): void {
    // A file needs no acknowledgement: the stored position is the acknowledgement.
  }
}
