/**
 * Hill climbing over batch sizes, one round at a time. A round at the best
 * known size ("base") alternates with a probe round at a neighbour (base × f or
 * base ÷ f). The monitor then holds samples of both, and its recommendation
 * decides. A probe that is cheaper becomes the base and the climb goes on in
 * the same direction at once, with a stride that grows (×f each win, up to
 * f³), so a long climb takes few rounds. A probe that loses turns the
 * direction round; one that only ties (and wins for being smaller) is taken,
 * and the next probe looks back the way it came, so a tie that was noise is
 * undone. Either way the stride shortens (its square root, down to
 * 1.2), so the search closes in on the best size, and the next probe waits
 * `patience` base rounds, a wait that doubles (up to a limit), so a settled
 * processor spends little time exploring. A climb that hits a bound turns
 * round with the shortest stride, since the best size is then likely there.
 */
import type { RoundKind } from "./sizing-strategy.ts";

export interface SizeExplorerOptions {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** Multiplicative step of a probe. */
  readonly stepFactor: number;
  /** Most base rounds between two probes once settled. */
  readonly maxPatience: number;
}

export class SizeExplorer {
  readonly #options: SizeExplorerOptions;
  #base: number;
  #probe: number | undefined;
  #direction: 1 | -1 = 1;
  /** Multiplicative distance of the next probe from the base. */
  #step: number;
  #patience = 0;
  #waitRounds = 0;

  constructor(options: SizeExplorerOptions) {
    this.#options = options;
    this.#base = this.#clamp(options.initial);
    this.#step = options.stepFactor;
  }

  /** The size of the round now running. */
  get size(): number {
    return this.#probe ?? this.#base;
  }

  get kind(): RoundKind {
    return this.#probe === undefined ? "base" : "probe";
  }

  /** The best size known so far. */
  get base(): number {
    return this.#base;
  }

  /**
   * Ends a round with the monitor's recommendation, and its cost per record
   * of each size; returns the size of the next round.
   */
  afterRound(recommended: number | undefined, costOf: (size: number) => number | undefined = () => undefined): number {
    const probe = this.#probe;
    this.#probe = undefined;
    const { stepFactor } = this.#options;
    if (probe !== undefined && recommended === probe) {
      const probeCost = costOf(probe);
      const baseCost = costOf(this.#base);
      const clearWin = probeCost === undefined || baseCost === undefined || probeCost < baseCost;
      this.#base = probe;
      if (clearWin) {
        // Cheaper: keep going the same way at once, with a longer stride.
        this.#patience = 0;
        this.#step = Math.min(this.#step * stepFactor, stepFactor ** 3);
        return this.#startProbe();
      }
      // Only tied, and smaller: take it (same cost, lower latency), but as a place to settle, not a
      // slope to follow. The next probe looks back at the larger size: a tie can be noise, and on
      // a 2-core machine a round of 5 batches is noisier than the 5 % tolerance, so ties followed
      // downwards drift the size well below the best. A real tie holds against that look back.
      this.#direction = this.#direction === 1 ? -1 : 1;
      this.#settle();
      return this.#base;
    }
    if (probe !== undefined) {
      // Lost: stay, look the other way next time.
      this.#base = this.#clamp(recommended ?? this.#base);
      this.#direction = this.#direction === 1 ? -1 : 1;
      this.#settle();
      return this.#base;
    }
    this.#base = this.#clamp(recommended ?? this.#base);
    if (this.#waitRounds > 0) {
      this.#waitRounds--;
      return this.#base;
    }
    return this.#startProbe();
  }

  /** Closer in, and a longer wait before the next probe. */
  #settle(): void {
    this.#step = Math.max(MIN_STEP, Math.sqrt(this.#step));
    this.#patience = Math.min(this.#options.maxPatience, Math.max(1, this.#patience * 2));
    this.#waitRounds = this.#patience;
  }

  #startProbe(): number {
    const ahead = this.#candidate(this.#direction, this.#step);
    if (ahead !== this.#base) return this.#beginProbe(ahead);
    // Against a bound: turn round with the shortest step, since the best is likely at the bound.
    this.#direction = this.#direction === 1 ? -1 : 1;
    this.#step = MIN_STEP;
    const back = this.#candidate(this.#direction, this.#step);
    return back === this.#base ? this.#base : this.#beginProbe(back); // min == max: nothing to explore
  }

  #candidate(direction: 1 | -1, step: number): number {
    const candidate = this.#clamp(direction === 1 ? this.#base * step : this.#base / step);
    if (candidate !== this.#base || step <= 1) return candidate;
    // A step too short to change an integer size still moves by one.
    return this.#clamp(this.#base + direction);
  }

  #beginProbe(size: number): number {
    this.#probe = size;
    return size;
  }

  #clamp(size: number): number {
    return Math.min(this.#options.max, Math.max(this.#options.min, Math.round(size)));
  }
}

/** The shortest probe step: closer than this, measurement noise outweighs the difference. */
const MIN_STEP = 1.2;
