/**
 * A worker node's Prometheus metrics (`bun run worker --metrics <port>`):
 * `poolstream_node_batches_total{outcome}` (computed, failed, dead_letter,
 * expired), `poolstream_redeliveries_total` (batches it took that another node
 * had lost), `poolstream_worker_crashes_total`, `poolstream_batches_held`,
 * `poolstream_workers_alive` and `poolstream_event_loop_lag_seconds`, read
 * from the node's and its pool's stats when scraped.
 */
import type { Executor } from "@poolstream/core";
import type { WorkerNodeStats } from "@poolstream/jetstream";
import { CounterTotals, EventLoopLag } from "@poolstream/metrics";
import { Counter, Gauge, Registry } from "prom-client";

export interface NodeMetrics extends Disposable {
  readonly registry: Registry;
}

export function nodeMetrics(stats: () => WorkerNodeStats, pool: Executor): NodeMetrics {
  const registry = new Registry();
  const registers = [registry];
  const totals = new CounterTotals();
  new Counter({
    name: "poolstream_node_batches_total",
    help: "Batches this node ended, by how: computed, failed (the kernel threw), dead_letter (unreadable), expired (past their deadline).",
    labelNames: ["outcome"],
    registers,
    collect() {
      const s = stats();
      totals.raise(this, "computed", s.answered - s.failed, { outcome: "computed" });
      totals.raise(this, "failed", s.failed, { outcome: "failed" });
      totals.raise(this, "dead_letter", s.deadLettered, { outcome: "dead_letter" });
      totals.raise(this, "expired", s.expired, { outcome: "expired" });
    },
  });
  new Counter({
    name: "poolstream_redeliveries_total",
    help: "Batches this node took on a second or later delivery (another node had lost them).",
    registers,
    collect() {
      totals.raise(this, "redelivered", stats().redelivered);
    },
  });
  new Counter({
    name: "poolstream_worker_crashes_total",
    help: "Threads of this node that died.",
    registers,
    collect() {
      totals.raise(this, "crashes", pool.stats().crashes);
    },
  });
  new Gauge({
    name: "poolstream_batches_held",
    help: "Batches this node holds now.",
    registers,
    collect() {
      this.set(stats().running);
    },
  });
  new Gauge({
    name: "poolstream_workers_alive",
    help: "Threads computing batches now.",
    registers,
    collect() {
      this.set(pool.stats().workers);
    },
  });
  const lag = new EventLoopLag(registry);
  return { registry, [Symbol.dispose]: () => lag[Symbol.dispose]() };
}
