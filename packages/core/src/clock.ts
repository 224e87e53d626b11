/**
 * Time as a dependency. Logic that waits or measures takes a `Clock`, so tests
 * drive it with `ManualClock` instead of sleeping on the wall clock.
 */
import { MAX_DURATION_MS } from "./durations.ts";
import { AbortError, InvalidArgumentError } from "./errors.ts";

/** Cancels a timer; calling it after the timer fired is harmless. */
export type CancelTimer = () => void;

export interface Clock {
  /** Milliseconds since the Unix epoch, with sub-millisecond resolution. */
  now(): number;
  /** Runs `callback` once after `delayMs`; returns a function that cancels it. */
  setTimer(delayMs: number, callback: () => void): CancelTimer;
}

/**
 * The real clock: `performance` time shifted to the epoch, so it is
 * comparable across Workers. Its timers never fire early: `setTimeout` turns
 * a delay beyond 2^31 − 1 ms (or Infinity) into 1 ms, so a longer delay is
 * waited out in steps, and Infinity sets no timer at all. A negative delay
 * fires at once; NaN is refused with `InvalidArgumentError`.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer(delayMs, callback) {
    checkDelay(delayMs);
    if (delayMs === Number.POSITIVE_INFINITY) return () => {};
    if (delayMs <= MAX_DURATION_MS) {
      const handle = setTimeout(callback, Math.max(0, delayMs));
      return () => clearTimeout(handle);
    }
    const dueAt = performance.now() + delayMs;
    let handle: ReturnType<typeof setTimeout>;
    const arm = () => {
      const left = dueAt - performance.now();
      handle = left > MAX_DURATION_MS ? setTimeout(arm, MAX_DURATION_MS) : setTimeout(callback, Math.max(0, left));
    };
    arm();
    return () => clearTimeout(handle);
  },
};

function checkDelay(delayMs: number): void {
  if (Number.isNaN(delayMs)) throw new InvalidArgumentError("a timer's delay must be a number of ms, got NaN");
}

/**
 * Waits `delayMs` on `clock`. Rejects with `AbortError` when `signal` fires,
 * and clears its timer either way, so nothing is left scheduled.
 */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(new AbortError(signal?.reason));
    };
    const cancel = clock.setTimer(delayMs, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

interface ManualTimer {
  readonly dueAt: number;
  readonly order: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to. `advance` fires due timers in time
 * order and lets the microtasks they schedule run between them, so awaiting
 * code observes the same sequence it would on the real clock.
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: ManualTimer[] = [];
  #order = 0;

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(delayMs: number, callback: () => void): CancelTimer {
    checkDelay(delayMs);
    const timer: ManualTimer = { dueAt: this.#now + Math.max(0, delayMs), order: this.#order++, callback };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.dueAt > target) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.dueAt;
      next.callback();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  #earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers) {
      if (best === undefined || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.order < best.order)) best = t;
    }
    return best;
  }
}

/** Lets queued promise continuations run; enough for chains of a few dozen awaits. */
export async function flushMicrotasks(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
