/**
 * An unbounded double-ended queue on a growable ring: O(1) at both ends, where
 * `Array#shift` is O(n). Pools keep their waiting tasks in one.
 */
export class Deque<T> {
  #ring: (T | undefined)[] = new Array<T | undefined>(16);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#length) % this.#ring.length] = item;
    this.#length++;
  }

  unshift(item: T): void {
    if (this.#length === this.#ring.length) this.#grow();
    this.#head = (this.#head - 1 + this.#ring.length) % this.#ring.length;
    this.#ring[this.#head] = item;
    this.#length++;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#ring[this.#head];
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#length--;
    return item;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#ring[this.#head];
  }

  /** Removes the first occurrence of `item`; O(n), for rare withdrawals such as an abort. */
  remove(item: T): boolean {
    const items = this.toArray();
    const index = items.indexOf(item);
    if (index < 0) return false;
    items.splice(index, 1);
    this.clear();
    for (const kept of items) this.push(kept);
    return true;
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const items = this.toArray();
    this.clear();
    return items;
  }

  toArray(): T[] {
    const items: T[] = [];
    for (let i = 0; i < this.#length; i++) items.push(this.#ring[(this.#head + i) % this.#ring.length] as T);
    return items;
  }

  clear(): void {
    this.#ring = new Array<T | undefined>(16);
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const items = this.toArray();
    this.#ring = new Array<T | undefined>(this.#ring.length * 2);
    items.forEach((item, i) => {
      this.#ring[i] = item;
    });
    this.#head = 0;
  }
}
