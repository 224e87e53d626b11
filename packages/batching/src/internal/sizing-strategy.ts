/**
 * How an adaptive sizer decides, between rounds. The sizer cuts batches in
 * rounds at one size and feeds every recorded batch to its strategy; when a
 * round's batches have returned, the strategy picks the next round's size.
 */

/** Whether a round is at the best size known ("base") or explores another one ("probe"). */
export type RoundKind = "base" | "probe";

/** A recorded batch: a full one, measured without another size's batches distorting it. */
export interface RoundSample {
  readonly batchSize: number;
  /** Its cost (`BatchTiming.durationMs`). */
  readonly durationMs: number;
  /** Its submission-to-result time (`BatchTiming.latencyMs`). */
  readonly latencyMs: number;
}

export interface SizingStrategy {
  /** The size of the round now running. */
  readonly size: number;
  readonly kind: RoundKind;
  /** The best size known so far. */
  readonly settled: number;
  /** A recorded batch returned, from this round or an earlier one. */
  observe(sample: RoundSample): void;
  /** The round now running has returned `round`: choose the next round's size. */
  endRound(round: readonly RoundSample[]): void;
}
