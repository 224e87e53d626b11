/**
 * The cost-model strategy: fit `duration = overhead + size × perRecord` over
 * the recent batches of every size, and run at the smallest size of the
 * ladder (`sizeLadder`) whose predicted cost per record is within the tie
 * tolerance of the lowest.
 *
 * It starts with a survey: after the round at the initial size, rounds at
 * the far end of the range, the initial size again and the far end again,
 * so that the first fit rests on ten batches at each end (five are not
 * enough on a busy machine: a `postMessage` alone varies between 20 and
 * 45 µs). After that, a probe round at the next rung up or down (alternately)
 * keeps two sizes in the fit, with a wait between probes that doubles up to
 * `maxPatience` rounds: a probe below the best size costs throughput, so a
 * settled sizer rarely makes one. A cost that changes under it shows in its
 * base rounds instead: two base rounds in a row whose median strays more
 * than `driftTolerance` from the model's prediction mean the history is
 * stale; it is dropped (all but those two rounds) and the far end is
 * measured again. The default tolerance is a doubling or a halving: on a
 * 2-core machine a round's median moves by 30 % and more from noise alone,
 * and each false alarm costs a round at the far end (measured: at 30 %,
 * light batches of 200 were re-surveyed about five times in 100,000 records,
 * a fifth of the pass's time).
 */
import { type CostModel, fitSizeMedians, medianOf, type SizeMedian, sizeLadder, smallestOf } from "../cost-model.ts";
import type { RoundKind, RoundSample, SizingStrategy } from "./sizing-strategy.ts";

export interface CostModelSearchOptions {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** Relative cost still counted as a tie (the smaller size wins). */
  readonly tolerance: number;
  /** Ratio of neighbouring rungs of the size ladder. */
  readonly stepFactor: number;
  /** Most base rounds between two probes once settled. */
  readonly maxPatience: number;
  /** Samples of each size the fit keeps, the latest. */
  readonly samplesPerSize: number;
  /** How far (relative) a base round may stray from the model before it counts as a change of cost. */
  readonly driftTolerance: number;
}

export class CostModelSearch implements SizingStrategy {
  readonly #options: CostModelSearchOptions;
  /**
   * The latest samples of each size. Kept per size, not as one window, so
   * that the far end of a survey stays in the fit while hundreds of batches
   * run at the base size: the sizes far apart are what pin the overhead down.
   */
  readonly #samples = new Map<number, number[]>();
  /** Each size's median, recomputed only for the sizes that had new samples since the last fit. */
  readonly #medians = new Map<number, SizeMedian>();
  readonly #changed = new Set<number>();
  readonly #ladder: readonly number[];
  #base: number;
  #probe: number | undefined;
  #model: CostModel | undefined;
  #direction: 1 | -1 = -1;
  #patience = 1;
  #waitRounds = 0;
  #strayRounds = 0;
  /** Probe rounds still to run before the fit is trusted: the survey. */
  #survey: number[];

  constructor(options: CostModelSearchOptions) {
    this.#options = options;
    this.#ladder = sizeLadder(options.min, options.max, options.stepFactor);
    this.#base = Math.min(options.max, Math.max(options.min, options.initial));
    this.#survey = this.#surveyFrom(this.#base);
  }

  get size(): number {
    return this.#probe ?? this.#base;
  }

  get kind(): RoundKind {
    return this.#probe === undefined ? "base" : "probe";
  }

  get settled(): number {
    return this.#base;
  }

  /** The model fitted at the end of the last round; `undefined` before two sizes were seen. */
  get model(): CostModel | undefined {
    return this.#model;
  }

  observe(sample: RoundSample): void {
    const { batchSize, durationMs } = sample;
    this.#changed.add(batchSize);
    const ofSize = this.#samples.get(batchSize);
    if (ofSize === undefined) {
      this.#samples.set(batchSize, [durationMs]);
      return;
    }
    ofSize.push(durationMs);
    if (ofSize.length > this.#options.samplesPerSize) ofSize.shift();
  }

  endRound(round: readonly RoundSample[]): void {
    const wasProbe = this.#probe !== undefined;
    this.#probe = undefined;
    if (!wasProbe && this.#strays(round)) this.#resurvey(2 * round.length);
    this.#model = this.#fit();
    const surveying = this.#survey.shift();
    if (surveying !== undefined) {
      this.#probe = surveying === this.#base ? undefined : surveying;
      return;
    }
    if (this.#model === undefined) {
      // Only one size left after a change of cost: look at the far end again.
      this.#survey = this.#surveyFrom(this.#base).slice(0, 1);
      this.#probe = this.#survey.shift();
      return;
    }
    this.#base = smallestOf(this.#model, this.#ladder, this.#options.tolerance);
    if (wasProbe) {
      this.#waitRounds = this.#patience;
      this.#patience = Math.min(this.#options.maxPatience, this.#patience * 2);
    } else if (this.#waitRounds > 0) {
      this.#waitRounds--;
    } else {
      this.#probe = this.#neighbour();
    }
  }

  #fit(): CostModel | undefined {
    for (const size of this.#changed) {
      const durations = this.#samples.get(size);
      if (durations === undefined) this.#medians.delete(size);
      else this.#medians.set(size, { size, count: durations.length, median: medianOf(durations) });
    }
    this.#changed.clear();
    return fitSizeMedians([...this.#medians.values()]);
  }

  /** Whether this base round and the one before it both strayed from the model's prediction. */
  #strays(round: readonly RoundSample[]): boolean {
    const model = this.#model;
    const first = round[0];
    if (model === undefined || first === undefined) return false;
    const predicted = model.overheadMs + model.perRecordMs * first.batchSize;
    const observed = medianOf(round.map((s) => s.durationMs));
    const limit = 1 + this.#options.driftTolerance;
    const strayed = observed > predicted * limit || observed * limit < predicted;
    this.#strayRounds = strayed ? this.#strayRounds + 1 : 0;
    return this.#strayRounds >= 2;
  }

  /** The cost changed: what was learnt before is wrong. Keep the base size's latest two rounds and survey again. */
  #resurvey(latest: number): void {
    const base = this.#samples.get(this.#base) ?? [];
    for (const size of this.#samples.keys()) this.#changed.add(size);
    this.#samples.clear();
    this.#samples.set(this.#base, base.slice(-latest));
    this.#strayRounds = 0;
    this.#patience = 1;
    this.#waitRounds = 0;
    // The base size's samples are kept, so one round at the far end is enough for a new fit.
    this.#survey = this.#surveyFrom(this.#base).slice(0, 1);
  }

  /** The far end, `from`, the far end: the farthest other size tells overhead from per-record cost best. */
  #surveyFrom(from: number): number[] {
    const { min, max } = this.#options;
    const far = from * from <= min * max ? max : min;
    return far === from ? [] : [far, from, far];
  }

  /** The next rung up or down from the base, alternately; the other way at an end of the ladder. */
  #neighbour(): number {
    const ladder = this.#ladder;
    const rung = ladder.indexOf(this.#base);
    for (let turn = 0; turn < 2; turn++) {
      this.#direction = this.#direction === 1 ? -1 : 1;
      const size = ladder[rung + this.#direction];
      if (size !== undefined) return size;
    }
    return this.#base; // min == max: nothing to explore
  }
}
