/**
 * How many batches are out, against the executor's capacity, with the two
 * waits the loop needs: for room (a slot frees up) and for the end (none is
 * left). A counter and two callbacks: the loop checks it for every batch, so
 * it makes no promise while there is room.
 */
export class BatchSlots {
  readonly capacity: number;
  #out = 0;
  #roomWaiters: (() => void)[] = [];
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

  /** A batch is done: wake whoever waits for room, or for the end. */
  release(): void {
    this.#out--;
    if (this.#roomWaiters.length > 0) for (const wake of this.#roomWaiters.splice(0)) wake();
    if (this.#out === 0 && this.#idleWaiters.length > 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  /** Resolves the next time a batch is done (at once when none is out). */
  nextRelease(): Promise<void> {
    if (this.#out === 0) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Resolves once a slot is free. */
  async room(): Promise<void> {
    while (this.#out >= this.capacity) await this.nextRelease();
  }

  /** Resolves once no batch is out. */
  idle(): Promise<void> {
    if (this.#out === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
