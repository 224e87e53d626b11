/**
 * Runs many sources concurrently into one bounded queue. The queue is the
 * backpressure point: a producer whose record does not fit waits, so nothing
 * is dropped and memory stays bounded. A failing source is recorded and the
 * others go on. When the run ends, the layer closes the queue it owns, which
 * is how end of input reaches the stages downstream.
 */
import {
  BoundedQueue,
  type Clock,
  InvalidArgumentError,
  type SensorRecord,
  sleep,
  systemClock,
  toError,
} from "@poolstream/core";

/** Anything with an id that yields records until its signal fires. */
export interface RecordSource {
  readonly id: string;
  readings(signal?: AbortSignal): AsyncIterable<SensorRecord>;
}

export interface SourceError {
  readonly sourceId: string;
  readonly message: string;
  readonly error: Error;
}

export interface IngestionReport {
  /** Records accepted into the queue, per source id. */
  readonly perSource: Readonly<Record<string, number>>;
  readonly total: number;
  readonly errors: readonly SourceError[];
  readonly durationMs: number;
}

/**
 * Where ingested records go: a `BoundedQueue` by default, or anything that
 * waits in `put` while it is full (backpressure) and can be closed, such as a
 * router into the lanes of a priority queue.
 */
export interface RecordTarget {
  put(record: SensorRecord): Promise<void>;
  close(): void;
}

export interface AsyncIngestionLayerOptions<Q extends RecordTarget> {
  /** Capacity of the default queue. Default 50. */
  readonly capacity?: number;
  readonly clock?: Clock;
  /** Put records here instead of into a new `BoundedQueue`. */
  readonly target?: Q;
}

export class AsyncIngestionLayer<Q extends RecordTarget = BoundedQueue<SensorRecord>> {
  /** Where records go; the layer closes it when the run ends. */
  readonly queue: Q;
  readonly #sources: readonly RecordSource[];
  readonly #clock: Clock;
  readonly #counts = new Map<string, number>();
  readonly #errors: SourceError[] = [];
  #started = false;

  constructor(sources: readonly RecordSource[], options: AsyncIngestionLayerOptions<Q> = {}) {
    const ids = new Set(sources.map((s) => s.id));
    if (ids.size !== sources.length) throw new InvalidArgumentError("source ids must be unique");
    this.#sources = sources;
    this.#clock = options.clock ?? systemClock;
    this.queue =
      options.target ??
      (new BoundedQueue<SensorRecord>({ capacity: options.capacity ?? 50, clock: this.#clock }) as RecordTarget as Q);
    for (const source of sources) this.#counts.set(source.id, 0);
  }

  /**
   * Ingests every source until `durationSec` has passed or `signal` fires,
   * then stops the sources, waits for their last puts and closes the queue.
   * A record counts as ingested once the queue accepted it; a source stopped
   * mid-wait finishes the put it started, so nothing it produced is lost.
   */
  async run(durationSec: number, options: { readonly signal?: AbortSignal } = {}): Promise<IngestionReport> {
    if (!(durationSec >= 0)) throw new InvalidArgumentError(`durationSec must be >= 0, got ${durationSec}`);
    if (this.#started) throw new InvalidArgumentError("an ingestion layer runs once");
    this.#started = true;
    const stop = new AbortController();
    const external = options.signal;
    const onExternalAbort = () => stop.abort(external?.reason);
    external?.addEventListener("abort", onExternalAbort, { once: true });
    if (external?.aborted) stop.abort(external.reason);
    const startMs = this.#clock.now();
    const timer = sleep(this.#clock, durationSec * 1000, stop.signal).then(
      () => stop.abort("duration elapsed"),
      () => {},
    );
    try {
      await Promise.all(this.#sources.map((source) => this.#ingest(source, stop.signal)));
    } finally {
      stop.abort("ingestion finished");
      await timer;
      external?.removeEventListener("abort", onExternalAbort);
      this.queue.close();
    }
    return this.report(this.#clock.now() - startMs);
  }

  /** Counts so far; `run` resolves with the final one. */
  report(durationMs = 0): IngestionReport {
    const perSource = Object.freeze(Object.fromEntries(this.#counts));
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return Object.freeze({ perSource, total, errors: Object.freeze([...this.#errors]), durationMs });
  }

  async #ingest(source: RecordSource, signal: AbortSignal): Promise<void> {
    try {
      for await (const record of source.readings(signal)) {
        await this.queue.put(record);
        this.#counts.set(source.id, (this.#counts.get(source.id) ?? 0) + 1);
      }
    } catch (thrown) {
      const error = toError(thrown);
      this.#errors.push({ sourceId: source.id, message: error.message, error });
    }
  }
}
