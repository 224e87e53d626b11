/**
 * Runs many sources concurrently into one target, the pipeline's lanes. The
 * target is the backpressure point: a producer whose record does not fit
 * waits, so nothing is dropped and memory stays bounded. A failing source is
 * recorded and the others go on. The layer never closes the target: its owner
 * (the pipeline) does, once `ingest` has returned.
 */
import {
  InvalidArgumentError,
  QueueClosedError,
  type RecordTarget,
  type SensorRecord,
  type Source,
  type SourceError,
  type SourceReport,
  StoppableReader,
  toError,
} from "@poolstream/core";

/** Anything with an id that yields records until its signal fires. */
export interface RecordSource<R = SensorRecord> {
  readonly id: string;
  readings(signal?: AbortSignal): AsyncIterable<R>;
}

export type IngestionReport = SourceReport;

export class AsyncIngestionLayer<R = SensorRecord> implements Source<R> {
  readonly #sources: readonly RecordSource<R>[];
  readonly #counts = new Map<string, number>();
  readonly #errors: SourceError[] = [];
  #started = false;

  constructor(sources: readonly RecordSource<R>[]) {
    const ids = new Set(sources.map((s) => s.id));
    if (ids.size !== sources.length) throw new InvalidArgumentError("source ids must be unique");
    this.#sources = sources;
    for (const source of sources) this.#counts.set(source.id, 0);
  }

  /**
   * Ingests every source until all have ended or `signal` fires. A record
   * counts as ingested once the target accepted it; a source stopped mid-wait
   * finishes the put it started (or, if the target closed first, its record
   * was never accepted), so nothing counted is lost. Runs once.
   */
  async ingest(target: RecordTarget<R>, signal: AbortSignal): Promise<IngestionReport> {
    if (this.#started) throw new InvalidArgumentError("an ingestion layer runs once");
    this.#started = true;
    await Promise.all(this.#sources.map((source) => this.#ingestOne(source, target, signal)));
    return this.report();
  }

  /** Counts so far; `ingest` resolves with the final ones. */
  report(): IngestionReport {
    const perSource = Object.freeze(Object.fromEntries(this.#counts));
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return Object.freeze({ perSource, total, errors: Object.freeze([...this.#errors]) });
  }

  async #ingestOne(source: RecordSource<R>, target: RecordTarget<R>, signal: AbortSignal): Promise<void> {
    // A source that waits (or ignores the signal) must not hold the stop up: each read is raced against it.
    const reader = new StoppableReader(source.readings(signal)[Symbol.asyncIterator](), signal);
    try {
      for (;;) {
        const next = await reader.next();
        if (next.done === true) break;
        if (!target.tryPut(next.value)) await target.put(next.value);
        this.#counts.set(source.id, (this.#counts.get(source.id) ?? 0) + 1);
      }
    } catch (thrown) {
      // The target closing under a waiting put is how a stop reaches a producer, not a failure of the source.
      if (thrown instanceof QueueClosedError) return;
      const error = toError(thrown);
      this.#errors.push({ sourceId: source.id, message: error.message, error });
    } finally {
      reader.release();
    }
  }
}
