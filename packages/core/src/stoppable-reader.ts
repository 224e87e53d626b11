/**
 * Reads an async iterator until it ends or a signal fires, whichever comes
 * first: a source that waits (a sensor between readings) or ignores the
 * signal must not hold a stop up. One wake slot serves whichever read is
 * waiting; racing every read against one shared stop promise would leave a
 * reaction on that promise per record until the stop, and memory would grow.
 */

const STOPPED: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

export class StoppableReader<T> {
  readonly #iterator: AsyncIterator<T>;
  readonly #signal: AbortSignal;
  readonly #onAbort = () => this.#wake?.(STOPPED);
  #wake: ((result: IteratorResult<T>) => void) | undefined;
  /** The iterator ended or threw by itself: it needs no `return()`. */
  #finished = false;

  constructor(iterator: AsyncIterator<T>, signal: AbortSignal) {
    this.#iterator = iterator;
    this.#signal = signal;
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** The next item; done when the iterator ended or the signal fired. Rejects when the iterator throws. */
  async next(): Promise<IteratorResult<T>> {
    if (this.#signal.aborted) return STOPPED;
    try {
      const result = await new Promise<IteratorResult<T>>((resolve, reject) => {
        this.#wake = resolve;
        this.#iterator.next().then(resolve, reject);
      });
      if (result.done === true && !this.#signal.aborted) this.#finished = true;
      return result;
    } catch (error) {
      this.#finished = true; // a throwing iterator is done; return() would only rethrow
      throw error;
    } finally {
      this.#wake = undefined;
    }
  }

  /**
   * Stops listening, and calls the iterator's `return()` unless it finished
   * by itself, so a producer behind it is released. Not awaited: an async
   * generator suspended in an await handles `return()` only when it next yields.
   */
  release(): void {
    this.#signal.removeEventListener("abort", this.#onAbort);
    if (!this.#finished) this.#iterator.return?.()?.catch(() => {});
  }
}
