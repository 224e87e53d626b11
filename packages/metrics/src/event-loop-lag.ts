/**
 * This thread's event-loop lag as a gauge, `poolstream_event_loop_lag_seconds`:
 * a timer that should fire every `sampleMs` notes how late it fired, and the
 * gauge shows the latest delay. prom-client's own lag metric relies on
 * `perf_hooks.monitorEventLoopDelay`, which reads wrong under Bun, so it is
 * measured here instead.
 */
import { Gauge, type Registry } from "prom-client";

export class EventLoopLag implements Disposable {
  readonly #timer: ReturnType<typeof setInterval>;
  #lagSeconds = 0;

  /** Throws `RangeError` unless `sampleMs` is an integer from 10 to 60,000. */
  constructor(registry: Registry, sampleMs = 500) {
    if (!Number.isInteger(sampleMs) || sampleMs < 10 || sampleMs > 60_000) {
      throw new RangeError(`lagSampleMs must be an integer from 10 to 60,000, got ${sampleMs}`);
    }
    const self = this;
    new Gauge({
      name: "poolstream_event_loop_lag_seconds",
      help: "How late this thread's event loop ran a timer, at the latest sample.",
      registers: [registry],
      collect() {
        this.set(self.#lagSeconds);
      },
    });
    let expected = performance.now() + sampleMs;
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#lagSeconds = Math.max(0, now - expected) / 1000;
      expected = now + sampleMs;
    }, sampleMs);
    // It measures; it must not keep a finished program alive.
    this.#timer.unref();
  }

  /** The latest delay, in seconds. */
  get seconds(): number {
    return this.#lagSeconds;
  }

  [Symbol.dispose](): void {
    clearInterval(this.#timer);
  }
}
