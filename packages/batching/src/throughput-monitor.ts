/**
 * Remembers how long recent batches took and recommends the batch size that
 * cost least per record. Repeated samples of one size are averaged, and sizes
 * within a tolerance of the best count as tied; a tie goes to the smallest,
 * because at equal cost a smaller batch means lower latency.
 *
 * The average leaves out the slowest 40 % of a size's samples (two of five).
 * Batch latency on Workers has a long tail: a batch whose thread was
 * preempted or hit a GC pause costs many times the median (p95 is about 5×
 * p50 on a 2-core machine), so a plain mean of five would be decided by
 * whichever size drew a tail event, not by its cost.
 */
import { InvalidArgumentError } from "@poolstream/core";

export interface ThroughputMonitorOptions {
  /** How many recent batches to remember. Default 10. */
  readonly historySize?: number;
  /** Relative cost difference still counted as a tie. Default 0.05 (5 %). */
  readonly tieTolerance?: number;
  /** Share of each size's slowest samples left out of its average. Default 0.4. */
  readonly trimSlowest?: number;
}

export interface BatchSample {
  readonly batchSize: number;
  readonly durationMs: number;
}

export interface SizeCost {
  readonly batchSize: number;
  /** Mean of `durationMs / batchSize` over the samples of this size, the slowest trimmed. */
  readonly msPerRecord: number;
  readonly samples: number;
}

export class ThroughputMonitor {
  readonly historySize: number;
  readonly tieTolerance: number;
  readonly trimSlowest: number;
  readonly #ring: (BatchSample | undefined)[];
  #next = 0;
  #count = 0;

  constructor(options: ThroughputMonitorOptions = {}) {
    const historySize = options.historySize ?? 10;
    const tieTolerance = options.tieTolerance ?? 0.05;
    if (!Number.isInteger(historySize) || historySize < 1) {
      throw new InvalidArgumentError(`historySize must be an integer >= 1, got ${historySize}`);
    }
    if (!(tieTolerance >= 0 && tieTolerance < 1)) {
      throw new InvalidArgumentError(`tieTolerance must be in [0, 1), got ${tieTolerance}`);
    }
    const trimSlowest = options.trimSlowest ?? 0.4;
    if (!(trimSlowest >= 0 && trimSlowest < 1)) {
      throw new InvalidArgumentError(`trimSlowest must be in [0, 1), got ${trimSlowest}`);
    }
    this.historySize = historySize;
    this.tieTolerance = tieTolerance;
    this.trimSlowest = trimSlowest;
    this.#ring = new Array<BatchSample | undefined>(historySize);
  }

  /** Remembers one batch, forgetting the oldest once `historySize` are held. */
  recordBatch(batchSize: number, durationMs: number): void {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError(`batchSize must be an integer >= 1, got ${batchSize}`);
    }
    if (!(durationMs >= 0 && Number.isFinite(durationMs))) {
      throw new InvalidArgumentError(`durationMs must be a finite number >= 0, got ${durationMs}`);
    }
    this.#ring[this.#next] = { batchSize, durationMs };
    this.#next = (this.#next + 1) % this.historySize;
    this.#count = Math.min(this.#count + 1, this.historySize);
  }

  /** The remembered samples, oldest first. */
  history(): BatchSample[] {
    const samples: BatchSample[] = [];
    const start = this.#count < this.historySize ? 0 : this.#next;
    for (let i = 0; i < this.#count; i++) samples.push(this.#ring[(start + i) % this.historySize] as BatchSample);
    return samples;
  }

  /** Mean cost per record of each size in the history, cheapest first. */
  costs(): SizeCost[] {
    const bySize = new Map<number, number[]>();
    for (const { batchSize, durationMs } of this.history()) {
      const costs = bySize.get(batchSize) ?? [];
      costs.push(durationMs / batchSize);
      bySize.set(batchSize, costs);
    }
    return [...bySize]
      .map(([batchSize, costs]) => {
        const kept = costs.sort((a, b) => a - b).slice(0, costs.length - Math.floor(costs.length * this.trimSlowest));
        return { batchSize, msPerRecord: kept.reduce((a, b) => a + b, 0) / kept.length, samples: costs.length };
      })
      .sort((a, b) => a.msPerRecord - b.msPerRecord || a.batchSize - b.batchSize);
  }

  /** The size with the lowest mean ms per record, the smallest among ties; `undefined` with no history. */
  recommendedBatchSize(): number | undefined {
    const costs = this.costs();
    const best = costs[0];
    if (best === undefined) return undefined;
    const limit = best.msPerRecord * (1 + this.tieTolerance);
    let recommended = best.batchSize;
    for (const cost of costs)
      if (cost.msPerRecord <= limit && cost.batchSize < recommended) recommended = cost.batchSize;
    return recommended;
  }
}
