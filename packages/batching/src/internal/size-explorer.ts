/**
 * Hill climbing over batch sizes, one round at a time. A round at the best
 * known size ("base") alternates with a probe round at a neighbour (base × f or
 * base ÷ f). The monitor then holds samples of both, and its recommendation
 * decides: a probe that wins becomes the base and the climb goes on in the same
 * direction at once; a probe that loses turns the direction round and the next
 * probe waits `patience` base rounds, a wait that doubles (up to a limit) each
 * time probes keep losing, so a settled processor spends little time exploring.
 */
export interface SizeExplorerOptions {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** Multiplicative step of a probe. */
  readonly stepFactor: number;
  /** Most base rounds between two probes once settled. */
  readonly maxPatience: number;
}

export type RoundKind = "base" | "probe";

export class SizeExplorer {
  readonly #options: SizeExplorerOptions;
  #base: number;
  #probe: number | undefined;
  #direction: 1 | -1 = 1;
  #patience = 0;
  #waitRounds = 0;

  constructor(options: SizeExplorerOptions) {
    this.#options = options;
    this.#base = this.#clamp(options.initial);
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

  /** Ends a round with the monitor's recommendation; returns the size of the next round. */
  afterRound(recommended: number | undefined): number {
    const probe = this.#probe;
    this.#probe = undefined;
    if (probe !== undefined) {
      if (recommended === probe) {
        this.#base = probe;
        this.#patience = 0;
        return this.#startProbe();
      }
      this.#base = this.#clamp(recommended ?? this.#base);
      this.#direction = this.#direction === 1 ? -1 : 1;
      this.#patience = Math.min(this.#options.maxPatience, Math.max(1, this.#patience * 2));
      this.#waitRounds = this.#patience;
      return this.#base;
    }
    this.#base = this.#clamp(recommended ?? this.#base);
    if (this.#waitRounds > 0) {
      this.#waitRounds--;
      return this.#base;
    }
    return this.#startProbe();
  }

  #startProbe(): number {
    for (const direction of [this.#direction, -this.#direction] as const) {
      const stepped = direction === 1 ? this.#base * this.#options.stepFactor : this.#base / this.#options.stepFactor;
      const candidate = this.#clamp(Math.round(stepped));
      if (candidate !== this.#base) {
        this.#direction = direction === 1 ? 1 : -1;
        this.#probe = candidate;
        return candidate;
      }
    }
    return this.#base; // min == max: nothing to explore
  }

  #clamp(size: number): number {
    return Math.min(this.#options.max, Math.max(this.#options.min, Math.round(size)));
  }
}
