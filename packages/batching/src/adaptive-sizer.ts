/**
 * A batch sizer that chooses the size from what it measures. The best size
 * depends on how the cost of moving a record to a worker compares with the
 * cost of computing it, so it is found, not set.
 *
 * Measuring: the pipeline reports each batch's own cost (`BatchTiming`): the
 * worker's time running it plus this thread's time encoding, sending,
 * receiving and decoding it, with any wait in line left out. Waiting is not
 * the batch's cost: behind a busy worker it grows with the number of batches
 * outstanding, not with the size, and a 1–4 ms stall of the machine lands on
 * whichever batch was waiting. An executor that cannot measure (a remote
 * one) reports submission-to-result time instead, and the sizer is told so;
 * then, after a change of size, the first `capacity − 1` batches of the new
 * size (which queue behind batches of the old one) are not recorded. A
 * partial batch (the end of the input, a quiet spell, a batch of urgent
 * records) is never recorded: it cannot pass for the cost of its size.
 *
 * Deciding: batches are cut in rounds at one size. When `reevaluateEvery`
 * recorded batches of a round have returned, the strategy picks the next
 * round's size, clamped to [min, max]; until then batches keep the round's
 * size, so the executor never waits for a decision. The strategies:
 * - "cost-model" (the default): fit `duration = overhead + size × perRecord`
 *   over the recent batches of every size and run at the smallest size
 *   within the tie tolerance of the lowest predicted cost per record
 *   (`CostModelSearch`). One noisy round moves one point of the fit, not the
 *   decision, so the outcome is the same from run to run.
 * - "hill-climb": the `ThroughputMonitor`'s recommendation from its last 10
 *   batches, probing neighbouring sizes (`SizeExplorer`).
 * - with `targetBatchLatencyMs`: the largest size whose batch latency stays
 *   under the target, by AIMD (`LatencyTarget`).
 * The monitor is fed every recorded batch whichever strategy decides.
 */
import {
  type BatchCostMeasure,
  type BatchSizer,
  type BatchTiming,
  checkDurationMs,
  InvalidArgumentError,
  type SizerContext,
} from "@poolstream/core";
import type { CostModel } from "./cost-model.ts";
import { CostModelSearch } from "./internal/cost-model-search.ts";
import { HillClimb } from "./internal/hill-climb.ts";
import { LatencyTarget } from "./internal/latency-target.ts";
import type { RoundKind, RoundSample, SizingStrategy } from "./internal/sizing-strategy.ts";
import { ThroughputMonitor } from "./throughput-monitor.ts";

/** How an `AdaptiveSizer` decides; see its module comment. */
export type SizingStrategyName = "cost-model" | "hill-climb";

export interface AdaptiveSizerOptions {
  /** Default 10. */
  readonly initialBatchSize?: number;
  /** Default 5. */
  readonly minBatchSize?: number;
  /** Default 200. */
  readonly maxBatchSize?: number;
  /** Batches per round; the size is re-evaluated after each round. Default 5. */
  readonly reevaluateEvery?: number;
  /** Default "cost-model". Ignored when `targetBatchLatencyMs` is set. */
  readonly strategy?: SizingStrategyName;
  /**
   * Hold batch latency (submission to result) under this at the 99th
   * percentile, with the largest size that does: for urgent work and
   * latency budgets. A duration in (0, 2^31 − 1] ms. Default: none (cost decides).
   */
  readonly targetBatchLatencyMs?: number;
  /** Latency mode: records added after a round under the target. Default 2. */
  readonly increaseStep?: number;
  /** Latency mode: factor the size is multiplied by after a round over the target, in (0, 1). Default 0.9. */
  readonly decreaseFactor?: number;
  /** Default: a `ThroughputMonitor` with a history of 10; its tie tolerance is the cost model's too. */
  readonly monitor?: ThroughputMonitor;
  /** Multiplicative step of a probe. Default 2. */
  readonly stepFactor?: number;
  /** Most rounds at the settled size between two probes. Default 32 for "cost-model", 8 for "hill-climb". */
  readonly maxProbeInterval?: number;
  /** Cost model: recorded batches of each size the fit keeps, the latest. Default 15. */
  readonly fitSamplesPerSize?: number;
  /** Cost model: relative drift of two base rounds from the model that counts as a change of cost. Default 1 (a doubling). */
  readonly driftTolerance?: number;
  /** Batches kept in `history` (the oldest are dropped, so memory stays flat). Default 10,000. */
  readonly historyLimit?: number;
}

export interface BatchSizeSample {
  readonly batchIndex: number;
  readonly batchSize: number;
  /** Measured cost per record (`BatchTiming.durationMs ÷ size`). */
  readonly msPerRecord: number;
  /** Submission to result. */
  readonly latencyMs: number;
  /** What `msPerRecord` was measured from. */
  readonly measure: BatchCostMeasure;
  /** Whether the batch belonged to a round at the settled size or to a probe. */
  readonly round: RoundKind;
}

interface Round {
  readonly size: number;
  readonly kind: RoundKind;
  /** Batches still to cut that may queue behind the previous round's. */
  queuedBehind: number;
  /** Its recorded batches that have returned. */
  readonly returned: RoundSample[];
}

interface Ticket {
  readonly batchIndex: number;
  readonly size: number;
  readonly round: Round;
  /** Cut while batches of another size may have been ahead of it. */
  readonly queuedBehindOtherSize: boolean;
}

export class AdaptiveSizer implements BatchSizer {
  readonly name: string;
  readonly monitor: ThroughputMonitor;
  readonly minBatchSize: number;
  readonly maxBatchSize: number;
  readonly reevaluateEvery: number;
  readonly strategy: SizingStrategyName | "latency-target";
  readonly #strategy: SizingStrategy;
  readonly #historyLimit: number;
  #history: BatchSizeSample[] = [];
  #capacity = 1;
  #round: Round;
  #batchesCut = 0;

  /** Throws `InvalidArgumentError` for an option out of range. */
  constructor(options: AdaptiveSizerOptions = {}) {
    const min = options.minBatchSize ?? 5;
    const max = options.maxBatchSize ?? 200;
    const initial = options.initialBatchSize ?? 10;
    const every = options.reevaluateEvery ?? 5;
    const stepFactor = options.stepFactor ?? 2;
    const historyLimit = options.historyLimit ?? 10_000;
    const strategy = options.strategy ?? "cost-model";
    requireInteger("minBatchSize", min, 1);
    requireInteger("maxBatchSize", max, min);
    requireInteger("initialBatchSize", initial, 1);
    requireInteger("reevaluateEvery", every, 1);
    requireInteger("historyLimit", historyLimit, 1);
    if (!(stepFactor > 1 && Number.isFinite(stepFactor))) {
      throw new InvalidArgumentError(`stepFactor must be a finite number > 1, got ${stepFactor}`);
    }
    if (strategy !== "cost-model" && strategy !== "hill-climb") {
      throw new InvalidArgumentError(`strategy must be "cost-model" or "hill-climb", got ${String(strategy)}`);
    }
    const patience = options.maxProbeInterval ?? (strategy === "cost-model" ? 32 : 8);
    requireInteger("maxProbeInterval", patience, 0);
    this.minBatchSize = min;
    this.maxBatchSize = max;
    this.reevaluateEvery = every;
    this.monitor = options.monitor ?? new ThroughputMonitor();
    this.#historyLimit = historyLimit;
    if (options.targetBatchLatencyMs !== undefined) {
      const targetMs = checkDurationMs("targetBatchLatencyMs", options.targetBatchLatencyMs);
      const increaseStep = options.increaseStep ?? 2;
      requireInteger("increaseStep", increaseStep, 1);
      const decreaseFactor = options.decreaseFactor ?? 0.9;
      if (!(decreaseFactor > 0 && decreaseFactor < 1)) {
        throw new InvalidArgumentError(`decreaseFactor must be in (0, 1), got ${decreaseFactor}`);
      }
      this.strategy = "latency-target";
      this.#strategy = new LatencyTarget({ initial, min, max, targetMs, increaseStep, decreaseFactor });
      this.name = `adaptive (latency ≤ ${targetMs} ms)`;
    } else if (strategy === "hill-climb") {
      this.strategy = strategy;
      this.#strategy = new HillClimb({ initial, min, max, stepFactor, maxPatience: patience }, this.monitor);
      this.name = "adaptive (hill climb)";
    } else {
      const samplesPerSize = options.fitSamplesPerSize ?? 15;
      requireInteger("fitSamplesPerSize", samplesPerSize, 1);
      const driftTolerance = options.driftTolerance ?? 1;
      if (!(driftTolerance > 0 && Number.isFinite(driftTolerance))) {
        throw new InvalidArgumentError(`driftTolerance must be a finite number > 0, got ${driftTolerance}`);
      }
      this.strategy = strategy;
      this.#strategy = new CostModelSearch({
        initial,
        min,
        max,
        tolerance: this.monitor.tieTolerance,
        stepFactor,
        maxPatience: patience,
        samplesPerSize,
        driftTolerance,
      });
      this.name = "adaptive";
    }
    this.#round = { size: this.#strategy.size, kind: this.#strategy.kind, queuedBehind: 0, returned: [] };
  }

  /** The size the next batch will be cut at. */
  get size(): number {
    return this.#round.size;
  }

  /** The best size found so far (the base of the search, not a probe). */
  get settledSize(): number {
    return this.#strategy.settled;
  }

  /** The cost model fitted last ("cost-model" strategy only; `undefined` before two sizes were seen). */
  get costModel(): CostModel | undefined {
    return this.#strategy instanceof CostModelSearch ? this.#strategy.model : undefined;
  }

  /** The latest batches, in the order they returned: index, size and measured cost per record. */
  get history(): readonly BatchSizeSample[] {
    return this.#history;
  }

  start(context: SizerContext): void {
    this.#capacity = context.capacity;
  }

  cut(records: number): Ticket {
    const round = this.#round;
    const queuedBehindOtherSize = round.queuedBehind > 0;
    if (queuedBehindOtherSize) round.queuedBehind--;
    return { batchIndex: this.#batchesCut++, size: records, round, queuedBehindOtherSize };
  }

  completed(ticket: unknown, timing: BatchTiming): void {
    const { batchIndex, size, round, queuedBehindOtherSize } = ticket as Ticket;
    const durationMs = Math.max(0, timing.durationMs);
    const latencyMs = Math.max(0, timing.latencyMs);
    this.#remember({
      batchIndex,
      batchSize: size,
      msPerRecord: durationMs / size,
      latencyMs,
      measure: timing.measure,
      round: round.kind,
    });
    // Waiting behind another size's batches distorts a time that includes waiting, and only such a time.
    const distorted =
      queuedBehindOtherSize && (timing.measure === "submit-to-result" || this.strategy === "latency-target");
    if (size !== round.size || distorted) return;
    this.monitor.recordBatch(size, durationMs);
    const sample: RoundSample = { batchSize: size, durationMs, latencyMs };
    this.#strategy.observe(sample);
    if (round !== this.#round) return;
    round.returned.push(sample);
    if (round.returned.length === this.reevaluateEvery) this.#closeRound();
  }

  #closeRound(): void {
    this.#strategy.endRound(this.#round.returned);
    // Whatever a strategy says, the size stays an integer in [min, max].
    const proposed = this.#strategy.size;
    const next = Number.isFinite(proposed)
      ? Math.min(this.maxBatchSize, Math.max(this.minBatchSize, Math.round(proposed)))
      : this.#round.size;
    const queuedBehind = next === this.#round.size ? 0 : this.#capacity - 1;
    this.#round = { size: next, kind: this.#strategy.kind, queuedBehind, returned: [] };
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
