/**
 * A bound on work under way: stages that submit batches to a pool keep at
 * most `limit` of them outstanding, and wait for one to settle before they
 * start another. That wait is what carries backpressure upstream.
 */
import { InvalidArgumentError } from "./errors.ts";

export class InFlightWindow {
  readonly limit: number;
  readonly #pending = new Set<Promise<void>>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new InvalidArgumentError(`limit must be an integer >= 1, got ${limit}`);
    this.limit = limit;
  }

  /** Work tracked and not yet settled. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Tracks `work` until it settles (its outcome is the caller's to handle;
   * the window only watches), then waits until fewer than `limit` are
   * outstanding, so the caller may start the next.
   */
  async add(work: Promise<unknown>): Promise<void> {
    this.track(work);
    await this.waitForRoom();
  }

  /** Tracks `work` until it settles, without waiting. */
  track(work: Promise<unknown>): void {
    const settled: Promise<void> = work.then(
      () => {
        this.#pending.delete(settled);
      },
      () => {
        this.#pending.delete(settled);
      },
    );
    this.#pending.add(settled);
  }

  /** Resolves once fewer than `limit` are outstanding. */
  async waitForRoom(): Promise<void> {
    while (this.#pending.size >= this.limit) await this.settleOne();
  }

  /** Resolves when any tracked work settles (at once if there is none). */
  settleOne(): Promise<void> {
    return this.#pending.size === 0 ? Promise.resolve() : Promise.race(this.#pending);
  }

  /** Resolves when every tracked work has settled. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }
}
