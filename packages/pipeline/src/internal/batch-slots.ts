/**
 * How many batches are out, against the executor's capacity, with the two
 * waits the loop needs: for a slot to free up, and for none to be left. A
 * counter and callbacks: the loop checks it for every batch, so it makes no
 * promise while there is room. Only the pipeline's cutting loop waits for a
 * release, so one waiter is all there is.
 */
export class BatchSlots {
  readonly capacity: number;
  #out = 0;
  #releaseWaiter: (() => void) | undefined;
  #idleWaiters: (() => void)[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Batches out now. */
  get size(): number {
    return this.#out;
  }

  get hasRoom(): boolean {
    return this.#out < this.capacity;
  }

  take(): void {
    this.#out++;
  }

  /** A batch is done: wake the loop if it waits, and whoever waits for the end. */
  release(): void {
    this.#out--;
    const wake = this.#releaseWaiter;
    if (wake !== undefined) {
      this.#releaseWaiter = undefined;
      wake();
    }
    if (this.#out === 0 && this.#idleWaiters.length > 0) for (const done of this.#idleWaiters.splice(0)) done();
  }

  /** Resolves the next time a batch is done (at once when none is out). For the one cutting loop only. */
  nextRelease(): Promise<void> {
    if (this.#out === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#releaseWaiter = resolve;
    });
  }

  /** Resolves once no batch is out. */
  idle(): Promise<void> {
    if (this.#out === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
