/**
 * Gives each sensor id a small integer, so a columnar batch can carry ids in a
 * Uint32Array. The table stays on the thread that encodes and decodes; Workers
 * only ever see the numbers (no kernel reads them: they are for decoding a
 * batch back into records on this thread).
 *
 * The table is bounded, so memory stays flat however many distinct ids a long
 * run sees: it holds two generations of at most `capacity` ids each. When the
 * current one is full, it becomes the previous one and a fresh one starts (an
 * id seen again is given a new code there). The top bit of a code says which
 * generation it belongs to, so a code stays decodable until two more
 * generations have filled: decode a batch before `2 × capacity` new ids have
 * been interned after it, which any batch in flight is.
 */
import { InvalidArgumentError } from "./errors.ts";

export interface SensorInternerOptions {
  /** Ids per generation, an integer from 1 to 2^31 − 1. Default 65,536. */
  readonly capacity?: number;
}

const GENERATION_BIT = 0x8000_0000;

interface Generation {
  readonly codes: Map<unknown, number>;
  readonly ids: unknown[];
  /** 0 or GENERATION_BIT. */
  readonly bit: number;
}

export class SensorInterner {
  readonly capacity: number;
  #current: Generation = { codes: new Map(), ids: [], bit: 0 };
  #previous: Generation | undefined;

  constructor(options: SensorInternerOptions = {}) {
    const capacity = options.capacity ?? 65_536;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 2 ** 31 - 1) {
      throw new InvalidArgumentError(`capacity must be an integer from 1 to 2^31 - 1, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** The code of `id`, assigning the next one on first sight (in this generation). */
  intern(id: unknown): number {
    let generation = this.#current;
    let code = generation.codes.get(id);
    if (code !== undefined) return code;
    if (generation.ids.length >= this.capacity) {
      this.#previous = generation;
      generation = this.#current = { codes: new Map(), ids: [], bit: (generation.bit ^ GENERATION_BIT) >>> 0 };
    }
    code = (generation.bit | generation.ids.length) >>> 0;
    generation.codes.set(id, code);
    generation.ids.push(id);
    return code;
  }

  /** The id behind `code`; `undefined` for a code never assigned or from a generation already dropped. */
  idOf(code: number): unknown {
    const bit = (code & GENERATION_BIT) >>> 0;
    const index = code & ~GENERATION_BIT;
    if (bit === this.#current.bit) return this.#current.ids[index];
    return this.#previous?.bit === bit ? this.#previous.ids[index] : undefined;
  }

  /** Ids held now, in both generations: at most `2 × capacity`. */
  get size(): number {
    return this.#current.ids.length + (this.#previous?.ids.length ?? 0);
  }
}
