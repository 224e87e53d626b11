/**
 * Gives each sensor id a small integer, so a columnar batch can carry ids in a
 * Uint32Array. The table stays on the thread that encodes and decodes; Workers
 * only ever see the numbers.
 */
export class SensorInterner {
  readonly #codes = new Map<unknown, number>();
  readonly #ids: unknown[] = [];

  /** The code of `id`, assigning the next one on first sight. */
  intern(id: unknown): number {
    let code = this.#codes.get(id);
    if (code === undefined) {
      code = this.#ids.length;
      this.#codes.set(id, code);
      this.#ids.push(id);
    }
    return code;
  }

  /** The id behind `code`; `undefined` for a code never assigned. */
  idOf(code: number): unknown {
    return this.#ids[code];
  }

  get size(): number {
    return this.#ids.length;
  }
}
