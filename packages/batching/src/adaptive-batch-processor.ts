/**
 * Processes records on a pool in batches whose size it chooses from what it
 * measures. The best size depends on how the cost of moving a record to a
 * Worker compares with the cost of computing it, so it is found, not set.
 *
 * Measuring: each batch is timed from submission to result, so transport and
 * queueing count. With the pool saturated, that time is (batches in flight ÷
 * workers) × the batch's service time, so its cost per record is proportional
 * to the inverse of throughput: the lowest cost is the highest throughput. A
 * batch submitted while batches of another size are still in flight would be
 * charged for their service time, which biases every comparison towards the
 * sizes that came before; such batches are computed but not recorded.
 *
 * Deciding: batches are cut in rounds of `reevaluateEvery` at one size. When
 * a round's batches have all returned, the size is set from the monitor's
 * `recommendedBatchSize()`, clamped to [min, max]. Batches cut while a round
 * is still returning keep its size (the pool never waits for a decision). The
 * monitor can only recommend sizes it has seen, so rounds alternate with probe
 * rounds at a neighbouring size; see `SizeExplorer` for the hill climbing.
 */
import { type Clock, InvalidArgumentError, type Kernel, systemClock } from "@poolstream/core";
import type { RunOptions, TaskExecutor } from "@poolstream/pool";
import { cutterFor } from "./internal/batch-cutter.ts";
import { type RoundKind, SizeExplorer } from "./internal/size-explorer.ts";
import { ThroughputMonitor } from "./throughput-monitor.ts";

export interface AdaptiveBatchProcessorOptions<I, O> {
  readonly pool: TaskExecutor;
  /** A batch kernel: one output per input record, in order (an array or a typed array). */
  readonly computeFn: Kernel<readonly I[], ArrayLike<O>>;
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
  readonly id: number;
  readonly size: number;
  readonly kind: RoundKind;
  submitted: number;
  returned: number;
}

export class AdaptiveBatchProcessor<I, O> {
  readonly monitor: ThroughputMonitor;
  readonly minBatchSize: number;
  readonly maxBatchSize: number;
  readonly reevaluateEvery: number;
  readonly #pool: TaskExecutor;
  readonly #computeFn: Kernel<readonly I[], ArrayLike<O>>;
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
    this.#computeFn = options.computeFn;
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
    const inFlight = new Set<Promise<void>>();
    const startMs = this.#clock.now();
    const inFlightBySize = new Map<number, number>();
    let firstError: { error: unknown } | undefined;
    let roundIds = 0;
    let round: Round = {
      id: roundIds++,
      size: this.#explorer.size,
      kind: this.#explorer.kind,
      submitted: 0,
      returned: 0,
    };
    let recordCount = 0;
    let batchCount = 0;

    const closeRound = () => {
      const next = this.#explorer.afterRound(this.monitor.recommendedBatchSize());
      round = { id: roundIds++, size: next, kind: this.#explorer.kind, submitted: 0, returned: 0 };
    };

    while (firstError === undefined) {
      const taken = cutter.take(round.size);
      const batch = Array.isArray(taken) ? taken : await taken;
      if (batch.length === 0) break;
      const batchIndex = this.#batchesCut++;
      const outputIndex = batchCount++;
      recordCount += batch.length;
      const size = batch.length;
      // Clean: everything in flight is of this size, so its wait measures its own size.
      const clean = size === round.size && (inFlightBySize.get(size) ?? 0) === inFlight.size;
      const inRound = clean && round.submitted < this.reevaluateEvery;
      if (inRound) round.submitted++;
      const batchRound = round;
      inFlightBySize.set(size, (inFlightBySize.get(size) ?? 0) + 1);
      const submittedMs = this.#clock.now();
      const done = this.#pool.run(this.#computeFn, batch, this.#options.runOptions).then(
        (output) => {
          const durationMs = this.#clock.now() - submittedMs;
          inFlightBySize.set(size, (inFlightBySize.get(size) ?? 1) - 1);
          outputs[outputIndex] = output;
          this.#history[batchIndex] = {
            batchIndex,
            batchSize: size,
            msPerRecord: durationMs / size,
            round: batchRound.kind,
          };
          if (clean) this.monitor.recordBatch(size, durationMs);
          if (inRound && batchRound === round && ++round.returned === this.reevaluateEvery) closeRound();
        },
        (error: unknown) => {
          firstError ??= { error };
        },
      );
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
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
    const flat: O[] = [];
    for (const output of outputs) for (let i = 0; i < output.length; i++) flat.push(output[i] as O);
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
