/**
 * Processes records on a pool in batches whose size it chooses from what it
 * measures. The best size depends on how the cost of moving a record to a
 * Worker compares with the cost of computing it, so it is found, not set.
 *
 * Measuring: each batch is timed from submission to result, so transport and
 * queueing count. With the pool saturated, that time is (batches in flight ÷
 * workers) × the batch's service time, so its cost per record is proportional
 * to the inverse of throughput: the lowest cost is the highest throughput.
 * After a change of size, the first `maxInFlight − 1` batches of the new size
 * queue behind batches of the old one and would be charged for their service
 * time, biasing every comparison towards the sizes that came before; those
 * batches are computed but not recorded. (Skipping a count, rather than
 * waiting until no old batch is in flight, keeps one stuck batch from
 * holding the decision up; batch latency here has a long tail.)
 *
 * Deciding: batches are cut in rounds at one size. When `reevaluateEvery`
 * recorded batches of a round have returned, the size is set from the
 * monitor's `recommendedBatchSize()`, clamped to [min, max]. Until then
 * batches keep the round's size, so the pool never waits for a decision. The
 * monitor can only recommend sizes it has seen, so rounds alternate with
 * probe rounds at a neighbouring size; see `SizeExplorer` for the hill
 * climbing.
 */
import { type Clock, InFlightWindow, InvalidArgumentError, type Kernel, systemClock } from "@poolstream/core";
import { type BatchTransport, objectTransport, type RunOptions, runBatch, type TaskExecutor } from "@poolstream/pool";
import { cutterFor } from "./internal/batch-cutter.ts";
import { type RoundKind, SizeExplorer } from "./internal/size-explorer.ts";
import { ThroughputMonitor } from "./throughput-monitor.ts";

export interface AdaptiveBatchProcessorOptions<I, O> {
  readonly pool: TaskExecutor;
  /** A batch kernel on record objects: one output per input record, in order (an array or a typed array). */
  readonly computeFn?: Kernel<readonly I[], ArrayLike<O>>;
  /** Instead of `computeFn`: how batches travel, e.g. `columnarTransport(computeHeavyColumnar)`. */
  // biome-ignore lint/suspicious/noExplicitAny: the wire types are the transport's own business
  readonly transport?: BatchTransport<I, any, any, ArrayLike<O>>;
  /** Default 10. */
  readonly initialBatchSize?: number;
  /** Default 5. */
  readonly minBatchSize?: number;
  /** Default 200. */
  readonly maxBatchSize?: number;
  /** Batches per round; the size is re-evaluated after each round. Default 5. */
  readonly reevaluateEvery?: number;
  /** Default: a `ThroughputMonitor` with a history of 10. */
  readonly monitor?: ThroughputMonitor;
  /** Batches submitted and not yet returned. Default: 2 per worker of the pool. */
  readonly maxInFlight?: number;
  /** Multiplicative step of a probe. Default 2. */
  readonly stepFactor?: number;
  /** Most rounds at the settled size between two probes. Default 8. */
  readonly maxProbeInterval?: number;
  readonly runOptions?: RunOptions;
  readonly clock?: Clock;
}

export interface BatchSizeSample {
  readonly batchIndex: number;
  readonly batchSize: number;
  /** Measured cost per record, transport and queueing included. */
  readonly msPerRecord: number;
  /** Whether the batch belonged to a round at the settled size or to a probe. */
  readonly round: RoundKind;
}

export interface AdaptiveRunStats {
  readonly records: number;
  readonly batches: number;
  readonly elapsedMs: number;
  readonly recordsPerSec: number;
  readonly finalBatchSize: number;
  readonly recommendedBatchSize: number | undefined;
}

interface Round {
  readonly size: number;
  readonly kind: RoundKind;
  /** Batches still to cut before this round's batches are recorded. */
  unrecorded: number;
  /** Recorded batches of this round that have returned. */
  returned: number;
}

export class AdaptiveBatchProcessor<I, O> {
  readonly monitor: ThroughputMonitor;
  readonly minBatchSize: number;
  readonly maxBatchSize: number;
  readonly reevaluateEvery: number;
  readonly #pool: TaskExecutor;
  // biome-ignore lint/suspicious/noExplicitAny: see the option
  readonly #transport: BatchTransport<I, any, any, ArrayLike<O>>;
  readonly #clock: Clock;
  readonly #options: AdaptiveBatchProcessorOptions<I, O>;
  readonly #history: BatchSizeSample[] = [];
  #explorer: SizeExplorer;
  #lastRun: AdaptiveRunStats | undefined;
  #batchesCut = 0;

  constructor(options: AdaptiveBatchProcessorOptions<I, O>) {
    const min = options.minBatchSize ?? 5;
    const max = options.maxBatchSize ?? 200;
    const initial = options.initialBatchSize ?? 10;
    const every = options.reevaluateEvery ?? 5;
    requireInteger("minBatchSize", min, 1);
    requireInteger("maxBatchSize", max, min);
    requireInteger("initialBatchSize", initial, 1);
    requireInteger("reevaluateEvery", every, 1);
    if (options.maxInFlight !== undefined) requireInteger("maxInFlight", options.maxInFlight, 1);
    if (!((options.stepFactor ?? 2) > 1)) throw new InvalidArgumentError("stepFactor must be > 1");
    this.minBatchSize = min;
    this.maxBatchSize = max;
    this.reevaluateEvery = every;
    this.monitor = options.monitor ?? new ThroughputMonitor();
    this.#pool = options.pool;
    const transport = options.transport ?? (options.computeFn && objectTransport(options.computeFn));
    if (transport === undefined) throw new InvalidArgumentError("give computeFn or transport");
    this.#transport = transport;
    this.#clock = options.clock ?? systemClock;
    this.#options = options;
    this.#explorer = this.#newExplorer(initial);
  }

  /** The size the next batch will be cut at. */
  get batchSize(): number {
    return this.#explorer.size;
  }

  /** Every batch so far, in the order they were cut: its index, size and measured ms per record. */
  get batchSizeHistory(): readonly BatchSizeSample[] {
    return this.#history;
  }

  /** Records per second of the last `process` call; 0 before the first. */
  get throughput(): number {
    return this.#lastRun?.recordsPerSec ?? 0;
  }

  get lastRun(): AdaptiveRunStats | undefined {
    return this.#lastRun;
  }

  /**
   * Computes every record and resolves with the outputs in input order. The
   * size found carries over to the next call. If a batch fails, no further
   * batch is submitted, the ones in flight are awaited, and the first error
   * is thrown.
   */
  async process(records: Iterable<I> | AsyncIterable<I>): Promise<O[]> {
    const cutter = cutterFor(records);
    const maxInFlight = this.#options.maxInFlight ?? Math.max(1, this.#pool.stats().workers * 2);
    const outputs: ArrayLike<O>[] = [];
    const window = new InFlightWindow(maxInFlight);
    const startMs = this.#clock.now();
    let firstError: { error: unknown } | undefined;
    let round: Round = { size: this.#explorer.size, kind: this.#explorer.kind, unrecorded: 0, returned: 0 };
    let recordCount = 0;
    let batchCount = 0;

    const closeRound = () => {
      const costs = new Map(this.monitor.costs().map((c) => [c.batchSize, c.msPerRecord]));
      const next = this.#explorer.afterRound(this.monitor.recommendedBatchSize(), (size) => costs.get(size));
      const unrecorded = next === round.size ? 0 : maxInFlight - 1;
      round = { size: next, kind: this.#explorer.kind, unrecorded, returned: 0 };
    };

    while (firstError === undefined) {
      const taken = cutter.take(round.size);
      const batch = Array.isArray(taken) ? taken : await taken;
      if (batch.length === 0) break;
      const batchIndex = this.#batchesCut++;
      const outputIndex = batchCount++;
      recordCount += batch.length;
      const size = batch.length;
      // A partial batch at the end of the input, or one that may queue behind another size, is not recorded.
      const recorded = size === round.size && round.unrecorded === 0;
      if (round.unrecorded > 0) round.unrecorded--;
      const batchRound = round;
      const submittedMs = this.#clock.now();
      const done = runBatch(this.#pool, this.#transport, batch, this.#options.runOptions).then(
        (output) => {
          const durationMs = this.#clock.now() - submittedMs;
          outputs[outputIndex] = output;
          this.#history[batchIndex] = {
            batchIndex,
            batchSize: size,
            msPerRecord: durationMs / size,
            round: batchRound.kind,
          };
          if (recorded) this.monitor.recordBatch(size, durationMs);
          if (recorded && batchRound === round && ++round.returned === this.reevaluateEvery) closeRound();
        },
        (error: unknown) => {
          firstError ??= { error };
        },
      );
      await window.add(done);
    }
    await window.drain();
    if (firstError !== undefined) throw firstError.error;

    const elapsedMs = this.#clock.now() - startMs;
    this.#lastRun = Object.freeze({
      records: recordCount,
      batches: batchCount,
      elapsedMs,
      recordsPerSec: elapsedMs > 0 ? (recordCount / elapsedMs) * 1000 : 0,
      finalBatchSize: this.#explorer.base,
      recommendedBatchSize: this.monitor.recommendedBatchSize(),
    });
    // Sized up front: pushing a hundred thousand outputs one by one costs several milliseconds.
    const flat = new Array<O>(recordCount);
    let next = 0;
    for (const output of outputs) for (let i = 0; i < output.length; i++) flat[next++] = output[i] as O;
    return flat;
  }

  #newExplorer(initial: number): SizeExplorer {
    return new SizeExplorer({
      initial,
      min: this.minBatchSize,
      max: this.maxBatchSize,
      stepFactor: this.#options.stepFactor ?? 2,
      maxPatience: this.#options.maxProbeInterval ?? 8,
    });
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${value}`);
}
