/**
 * What a running pipeline tells its listeners, one event per batch step (never
 * per record). Events are made only when someone listens, so an unobserved
 * pipeline pays nothing for them.
 */

export interface PipelineEventMap {
  /** A batch was cut from the lanes. `laneCounts[i]` records came from lane `lanes[i]`. */
  "batch-cut": { readonly batchId: number; readonly size: number; readonly laneCounts: readonly number[] };
  /** The batch went to the executor. */
  "batch-submitted": { readonly batchId: number; readonly size: number; readonly urgent: boolean };
  /**
   * The executor returned the batch's outputs: `durationMs` after submission,
   * and with `costMs` its own cost, when the executor measured it (see `BatchTiming`).
   */
  "batch-completed": {
    readonly batchId: number;
    readonly size: number;
    readonly durationMs: number;
    readonly costMs: number | undefined;
  };
  /** A call failed as a whole; `next` says what the failure policy does about it. */
  "batch-failed": {
    readonly batchId: number;
    readonly size: number;
    readonly attempts: number;
    readonly error: Error;
    readonly next: "retry" | "bisect" | "dead-letter" | "collect" | "stop";
  };
  /** Records of a failed batch were computed on a later attempt. */
  "batch-recovered": { readonly batchId: number; readonly size: number; readonly attempts: number };
  /** Records of a failed batch were committed to the dead-letter log. */
  "dead-lettered": {
    readonly batchId: number;
    readonly size: number;
    readonly attempts: number;
    readonly error: Error;
  };
  /** The sizer changed the size of the next batches. */
  "size-changed": { readonly batchId: number; readonly from: number; readonly to: number };
  /** One lane's part of a batch reached the sinks; `latencyMs` is its oldest record's, creation to delivery. */
  "lane-latency": {
    readonly batchId: number;
    readonly lane: string;
    readonly records: number;
    readonly latencyMs: number;
  };
}

export type PipelineEventType = keyof PipelineEventMap;

/** Any event, tagged with its type. */
export type PipelineEvent = { [K in PipelineEventType]: { readonly type: K } & PipelineEventMap[K] }[PipelineEventType];

type Listener<K extends PipelineEventType> = (event: { readonly type: K } & PipelineEventMap[K]) => void;

/** A small typed emitter. A listener that throws is reported once and removed, never breaks the pipeline. */
export class PipelineEvents {
  readonly #listeners = new Map<PipelineEventType, Set<Listener<PipelineEventType>>>();
  #any = 0;

  /** Listens to `type`; returns a function that stops listening. */
  on<K extends PipelineEventType>(type: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener as unknown as Listener<PipelineEventType>);
    this.#any++;
    return () => {
      if (set.delete(listener as unknown as Listener<PipelineEventType>)) this.#any--;
    };
  }

  /** Whether anyone listens to `type`: callers build the event only then. */
  wants(type: PipelineEventType): boolean {
    return this.#any > 0 && (this.#listeners.get(type)?.size ?? 0) > 0;
  }

  emit<K extends PipelineEventType>(type: K, event: PipelineEventMap[K]): void {
    const set = this.#listeners.get(type);
    if (set === undefined || set.size === 0) return;
    // Every caller passes a fresh literal: it is tagged and frozen in place rather than copied, since this
    // runs for every batch of a watched pipeline (metrics, a dashboard).
    const tagged = Object.freeze(Object.assign(event as object, { type }));
    for (const listener of set) {
      try {
        listener(tagged as never);
      } catch (error) {
        set.delete(listener);
        this.#any--;
        console.error(`poolstream: a "${type}" listener threw and was removed:`, error);
      }
    }
  }
}
