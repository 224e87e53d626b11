/**
 * The latency-aware strategy: the largest size whose batch latency stays
 * under a target, by additive increase and multiplicative decrease (AIMD, as
 * Clipper batches model queries): each round whose median latency is under
 * the limit grows the size by a few records, each round over it shrinks the
 * size by a factor. Until the first miss it grows multiplicatively instead
 * (slow start, at most doubling), so it reaches a large size in a few rounds.
 * Either way it grows only as far as the latency it predicts for the new
 * size stays under the limit, so the probing itself does not miss.
 *
 * The target is for the batch latency's 99th percentile, but a round of five
 * batches can only tell its median. So the limit a round's median is held to
 * is the target divided by the spread of latencies seen so far (the 99th
 * percentile of each batch's latency over its round's median): when batches
 * vary by 1.3×, the median is held to target ÷ 1.3, and the slow ones still
 * land under the target.
 */
import { medianOf } from "../cost-model.ts";
import type { RoundKind, RoundSample, SizingStrategy } from "./sizing-strategy.ts";

export interface LatencyTargetOptions {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** The batch latency (submission to result) that 99 % of batches should stay under. */
  readonly targetMs: number;
  /** Records added after a round under the limit. */
  readonly increaseStep: number;
  /** Factor the size is multiplied by after a round over the limit. */
  readonly decreaseFactor: number;
}

/** Latency ÷ its round's median, for the latest batches: how far a batch strays from its round. */
const SPREAD_SAMPLES = 200;
/** Assumed until enough batches were seen to measure the spread. */
const INITIAL_SPREAD = 1.25;
const MIN_SPREAD_SAMPLES = 20;

export class LatencyTarget implements SizingStrategy {
  readonly #options: LatencyTargetOptions;
  readonly #spread: number[] = [];
  #size: number;
  #slowStart = true;

  constructor(options: LatencyTargetOptions) {
    this.#options = options;
    this.#size = this.#clamp(options.initial);
  }

  get size(): number {
    return this.#size;
  }

  get kind(): RoundKind {
    return "base";
  }

  get settled(): number {
    return this.#size;
  }

  /** The limit a round's median latency is held to: the target over the measured spread. */
  get medianLimitMs(): number {
    return this.#options.targetMs / this.#spreadFactor();
  }

  observe(_sample: RoundSample): void {}

  endRound(round: readonly RoundSample[]): void {
    if (round.length === 0) return;
    const median = medianOf(round.map((s) => s.latencyMs));
    if (median > 0) {
      for (const sample of round) this.#spread.push(sample.latencyMs / median);
      if (this.#spread.length > SPREAD_SAMPLES) this.#spread.splice(0, this.#spread.length - SPREAD_SAMPLES);
    }
    const limit = this.medianLimitMs;
    const { increaseStep, decreaseFactor } = this.#options;
    if (median > limit) {
      this.#slowStart = false;
      // A round far over the limit shrinks in proportion, not by one step at a time.
      this.#size = this.#clamp(Math.floor(this.#size * Math.min(decreaseFactor, limit / median)));
      return;
    }
    const grown = this.#slowStart ? this.#size * 2 : this.#size + increaseStep;
    // Grow only as far as latency is predicted to stay under the limit. Latency is taken to grow in
    // proportion to size, which overstates it (the overhead does not grow), so the prediction errs
    // low: AIMD's probing then costs no misses of the target, only a round or two more to converge.
    const room = median > 0 ? Math.floor((this.#size * limit) / median) : grown;
    this.#size = this.#clamp(Math.max(this.#size, Math.min(grown, room)));
  }

  #spreadFactor(): number {
    if (this.#spread.length < MIN_SPREAD_SAMPLES) return INITIAL_SPREAD;
    const sorted = [...this.#spread].sort((a, b) => a - b);
    return Math.max(1, sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number);
  }

  #clamp(size: number): number {
    return Math.min(this.#options.max, Math.max(this.#options.min, Math.round(size)));
  }
}
