/**
 * Prometheus counters whose figures come from snapshots (a `stats()` read at
 * scrape time) rather than from increments: each scrape raises a counter to
 * the total the snapshot gives, by the difference since the last scrape, so
 * it only ever rises. Every label set is shown from the first scrape, at 0
 * if need be: a missing series is not a zero.
 */
import type { Counter } from "prom-client";

export class CounterTotals {
  /** The last figure each counter (by key) was raised to. */
  readonly #counted = new Map<string, number>();

  /** Raises `counter` (the series `labels`, if given) to `total`; `key` names that series among all raised here. */
  raise(counter: Counter, key: string, total: number, labels?: Record<string, string>): void {
    const counted = this.#counted.get(key);
    if (counted === undefined && labels !== undefined) counter.inc(labels, 0);
    const by = total - (counted ?? 0);
    if (by > 0) {
      if (labels === undefined) counter.inc(by);
      else counter.inc(labels, by);
    }
    this.#counted.set(key, Math.max(total, counted ?? 0));
  }
}
