/**
 * A batch sizer that chooses the size from what it measures. The best size
 * depends on how the cost of moving a record to a worker compares with the
 * cost of computing it, so it is found, not set.
 *
 * Measuring: the pipeline reports each batch's time from submission to
 * result, so transport and queueing count. With the executor saturated, that
 * time is (batches in flight ÷ workers) × the batch's service time, so its
 * cost per record is proportional to the inverse of throughput: the lowest
 * cost is the highest throughput. After a change of size, the first
 * `capacity − 1` batches of the new size queue behind batches of the old one
 * and would be charged for their service time, biasing every comparison
 * towards the sizes that came before; those batches are computed but not
 * recorded. (Skipping a count, rather than waiting until no old batch is in
 * flight, keeps one stuck batch from holding the decision up.) A partial
 * batch (the end of the input, a quiet spell, a batch of urgent records) is
 * not recorded either.
 *
 * Deciding: batches are cut in rounds at one size. When `reevaluateEvery`
 * recorded batches of a round have returned, the size is set from the
 * monitor's `recommendedBatchSize()`, clamped to [min, max]. Until then
 * batches keep the round's size, so the executor never waits for a decision.
 * The monitor can only recommend sizes it has seen, so rounds alternate with
 * probe rounds at a neighbouring size; see `SizeExplorer` for the hill climbing.
 */
import { type BatchSizer, InvalidArgumentError, type SizerContext } from "@poolstream/core";
import { type RoundKind, SizeExplorer } from "./internal/size-explorer.ts";
import { ThroughputMonitor } from "./throughput-monitor.ts";

export interface AdaptiveSizerOptions {
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
  /** Multiplicative step of a probe. Default 2. */
  readonly stepFactor?: number;
  /** Most rounds at the settled size between two probes. Default 8. */
  readonly maxProbeInterval?: number;
  /** Batches kept in `history` (the oldest are dropped, so memory stays flat). Default 10,000. */
  readonly historyLimit?: number;
}

export interface BatchSizeSample {
  readonly batchIndex: number;
  readonly batchSize: number;
  /** Measured cost per record, transport and queueing included. */
  readonly msPerRecord: number;
  /** Whether the batch belonged to a round at the settled size or to a probe. */
  readonly round: RoundKind;
}

interface Round {
  readonly size: number;
  readonly kind: RoundKind;
  /** Batches still to cut before this round's batches are recorded. */
  unrecorded: number;
  /** Recorded batches of this round that have returned. */
  returned: number;
}

interface Ticket {
  readonly batchIndex: number;
  readonly size: number;
  readonly recorded: boolean;
  readonly round: Round;
}

export class AdaptiveSizer implements BatchSizer {
  readonly name = "adaptive";
  readonly monitor: ThroughputMonitor;
  readonly minBatchSize: number;
  readonly maxBatchSize: number;
  readonly reevaluateEvery: number;
  readonly #explorer: SizeExplorer;
  readonly #historyLimit: number;
  #history: BatchSizeSample[] = [];
  #capacity = 1;
  #round: Round;
  #batchesCut = 0;

  constructor(options: AdaptiveSizerOptions = {}) {
    const min = options.minBatchSize ?? 5;
    const max = options.maxBatchSize ?? 200;
    const initial = options.initialBatchSize ?? 10;
    const every = options.reevaluateEvery ?? 5;
    const stepFactor = options.stepFactor ?? 2;
    const patience = options.maxProbeInterval ?? 8;
    const historyLimit = options.historyLimit ?? 10_000;
    requireInteger("minBatchSize", min, 1);
    requireInteger("maxBatchSize", max, min);
    requireInteger("initialBatchSize", initial, 1);
    requireInteger("reevaluateEvery", every, 1);
    requireInteger("maxProbeInterval", patience, 0);
    requireInteger("historyLimit", historyLimit, 1);
    if (!(stepFactor > 1 && Number.isFinite(stepFactor))) {
      throw new InvalidArgumentError(`stepFactor must be a finite number > 1, got ${stepFactor}`);
    }
    this.minBatchSize = min;
    this.maxBatchSize = max;
    this.reevaluateEvery = every;
    this.monitor = options.monitor ?? new ThroughputMonitor();
    this.#historyLimit = historyLimit;
    this.#explorer = new SizeExplorer({ initial, min, max, stepFactor, maxPatience: patience });
    this.#round = { size: this.#explorer.size, kind: this.#explorer.kind, unrecorded: 0, returned: 0 };
  }

  /** The size the next batch will be cut at. */
  get size(): number {
    return this.#round.size;
  }

  /** The best size found so far (the base of the search, not a probe). */
  get settledSize(): number {
    return this.#explorer.base;
  }

  /** The latest batches, in the order they were cut: index, size and measured ms per record. */
  get history(): readonly BatchSizeSample[] {
    return this.#history;
  }

  start(context: SizerContext): void {
    this.#capacity = context.capacity;
  }

  cut(records: number): Ticket {
    const round = this.#round;
    // A partial batch, or one that may queue behind another size, is not recorded.
    const recorded = records === round.size && round.unrecorded === 0;
    if (round.unrecorded > 0) round.unrecorded--;
    return { batchIndex: this.#batchesCut++, size: records, recorded, round };
  }

  completed(ticket: unknown, durationMs: number): void {
    const { batchIndex, size, recorded, round } = ticket as Ticket;
    this.#remember({ batchIndex, batchSize: size, msPerRecord: durationMs / size, round: round.kind });
    if (!recorded) return;
    this.monitor.recordBatch(size, Math.max(0, durationMs));
    if (round === this.#round && ++round.returned === this.reevaluateEvery) this.#closeRound();
  }

  #closeRound(): void {
    const costs = new Map(this.monitor.costs().map((c) => [c.batchSize, c.msPerRecord]));
    const next = this.#explorer.afterRound(this.monitor.recommendedBatchSize(), (size) => costs.get(size));
    const unrecorded = next === this.#round.size ? 0 : this.#capacity - 1;
    this.#round = { size: next, kind: this.#explorer.kind, unrecorded, returned: 0 };
  }

  #remember(sample: BatchSizeSample): void {
    // Dropping the oldest tenth at a time keeps the cost of trimming off the per-batch path.
    if (this.#history.length >= this.#historyLimit) {
      this.#history = this.#history.slice(Math.ceil(this.#historyLimit / 10));
    }
    this.#history.push(sample);
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > 2 ** 31 - 1)
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to 2^31 - 1, got ${value}`);
}
