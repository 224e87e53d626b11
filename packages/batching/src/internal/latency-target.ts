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
 * is the target less the tail seen so far: the 99.5th percentile of how
 * far each batch's latency exceeded its round's median, over the latest 200
 * batches (a little past the 99th, because a round's median itself moves
 * about the limit). The tail is measured in milliseconds, not as a ratio, because
 * what makes it on a busy machine is mostly a scheduling stall of 1–4 ms
 * that lands on a batch whatever its size: as a ratio it would look six
 * times worse at a size six times smaller and push the size down for nothing.
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

/** How many of the latest batches' excesses over their round's median the tail is measured on. */
const TAIL_SAMPLES = 200;
/** Until this many were seen, the tail is taken as a quarter of the target. */
const MIN_TAIL_SAMPLES = 20;

export class LatencyTarget implements SizingStrategy {
  readonly #options: LatencyTargetOptions;
  readonly #excess: number[] = [];
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

  /** The limit a round's median latency is held to: the target less the measured tail. */
  get medianLimitMs(): number {
    return Math.max(0, this.#options.targetMs - this.#tailMs());
  }

  observe(_sample: RoundSample): void {}

  endRound(round: readonly RoundSample[]): void {
    if (round.length === 0) return;
    const median = medianOf(round.map((s) => s.latencyMs));
    for (const sample of round) this.#excess.push(Math.max(0, sample.latencyMs - median));
    if (this.#excess.length > TAIL_SAMPLES) this.#excess.splice(0, this.#excess.length - TAIL_SAMPLES);
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

  #tailMs(): number {
    if (this.#excess.length < MIN_TAIL_SAMPLES) return this.#options.targetMs / 4;
    const sorted = [...this.#excess].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.995))] as number;
  }

  #clamp(size: number): number {
    return Math.min(this.#options.max, Math.max(this.#options.min, Math.round(size)));
  }
}
