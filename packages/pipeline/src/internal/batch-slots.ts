/**
 * How many batches are out, against the executor's capacity, with the two
 * waits the loop needs: for a slot to free up, and for none to be left. A
 * counter and a callback: the loop checks it for every batch, so it makes no
 * promise while there is room, and it is told of every release through
 * `onRelease` (it may be asleep waiting for one).
 */
export class BatchSlots {
  readonly capacity: number;
  /** Batches taken and not yet released: at the executor, or computed and waiting to be written. */
  #out = 0;
  /** Of those, the ones the executor has returned (they no longer occupy it). */
  #computed = 0;
  readonly #onRelease: () => void;
  #idleWaiters: (() => void)[] = [];

  constructor(capacity: number, onRelease: () => void) {
    this.capacity = capacity;
    this.#onRelease = onRelease;
  }

  /** Batches out now. */
  get size(): number {
    return this.#out;
  }

  /**
   * Room for another batch: fewer than `capacity` at the executor, and fewer
   * than `capacity` computed but not yet written (so a slow sink still holds
   * the loop back, while a batch being written no longer keeps the executor
   * waiting for its next one).
   */
  get hasRoom(): boolean {
    const atExecutor = this.#out - this.#computed;
    return atExecutor < this.capacity && this.#computed < this.capacity;
  }

  take(): void {
    this.#out++;
  }

  /** The executor returned a batch; it is yet to be written. */
  computed(): void {
    this.#computed++;
    this.#wake();
  }

  /** A batch is done (written, or given up on); `wasComputed` when `computed()` was called for it. */
  release(wasComputed: boolean): void {
    this.#out--;
    if (wasComputed) this.#computed--;
    this.#wake();
    if (this.#out === 0 && this.#idleWaiters.length > 0) for (const done of this.#idleWaiters.splice(0)) done();
  }

  #wake(): void {
    this.#onRelease();
  }

  /** Resolves once no batch is out. */
  idle(): Promise<void> {
    if (this.#out === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
