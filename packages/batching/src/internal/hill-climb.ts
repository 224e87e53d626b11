/**
 * The monitor's strategy: the size the `ThroughputMonitor` recommends from
 * its last few batches, found by hill climbing (`SizeExplorer`). It can only
 * compare sizes it has seen lately, so it keeps probing neighbours.
 */
import type { ThroughputMonitor } from "../throughput-monitor.ts";
import { SizeExplorer, type SizeExplorerOptions } from "./size-explorer.ts";
import type { RoundKind, RoundSample, SizingStrategy } from "./sizing-strategy.ts";

export class HillClimb implements SizingStrategy {
  readonly #explorer: SizeExplorer;
  readonly #monitor: ThroughputMonitor;

  constructor(options: SizeExplorerOptions, monitor: ThroughputMonitor) {
    this.#explorer = new SizeExplorer(options);
    this.#monitor = monitor;
  }

  get size(): number {
    return this.#explorer.size;
  }

  get kind(): RoundKind {
    return this.#explorer.kind;
  }

  get settled(): number {
    return this.#explorer.base;
  }

  /** The sizer feeds the monitor itself. */
  observe(_sample: RoundSample): void {}

  endRound(_round: readonly RoundSample[]): void {
    const costs = new Map(this.#monitor.costs().map((c) => [c.batchSize, c.msPerRecord]));
    this.#explorer.afterRound(this.#monitor.recommendedBatchSize(), (size) => costs.get(size));
  }
}
