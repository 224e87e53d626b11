/**
 * How a durable source and a sink agree on what is done. A source that can
 * resume (a file at an offset) or that must be acknowledged (a JetStream
 * message, an MQTT QoS 1 publish) lends a checkpoint; the sink that commits
 * the outcomes calls `commit` inside its transaction (storing the position it
 * returns with the outcomes, so both are durable together) and `acknowledge`
 * once the transaction is durable. A crash between the two loses nothing: the
 * restart resumes from the stored position, or the broker redelivers, and a
 * sink keyed by record identity absorbs the duplicates.
 */

/** A position a source can resume from: opaque to the sink, which stores it as it is. */
export type SourcePosition = string;

export interface SourceCheckpoint<R> {
  /** The source's id: a sink stores one position per source. */
  readonly sourceId: string;
  /**
   * These records' outcomes are being committed (every record of the batch:
   * results, failures, dead letters). Returns the position to store with
   * them, everything before which is committed, when it moved; else undefined.
   */
  commit(records: Iterable<R>): SourcePosition | undefined;
  /** The commit is durable: acknowledge the records upstream (a no-op for a file). Never throws. */
  acknowledge(records: Iterable<R>): void;
}
