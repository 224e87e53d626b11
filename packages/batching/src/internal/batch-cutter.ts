/** Takes records from an array, an iterable or an async iterable, a batch at a time. */
export interface BatchCutter<T> {
  /** The next batch of up to `size` records; empty at the end. */
  take(size: number): T[] | Promise<T[]>;
}

export function cutterFor<T>(records: Iterable<T> | AsyncIterable<T>): BatchCutter<T> {
  if (Array.isArray(records)) {
    const array = records as readonly T[];
    let offset = 0;
    return {
      take(size) {
        const batch = array.slice(offset, offset + size);
        offset += batch.length;
        return batch;
      },
    };
  }
  if (Symbol.asyncIterator in records) {
    const iterator = records[Symbol.asyncIterator]();
    let ended = false;
    return {
      async take(size) {
        const batch: T[] = [];
        while (!ended && batch.length < size) {
          const next = await iterator.next();
          if (next.done) ended = true;
          else batch.push(next.value);
        }
        return batch;
      },
    };
  }
  const iterator = records[Symbol.iterator]();
  let ended = false;
  return {
    take(size) {
      const batch: T[] = [];
      while (!ended && batch.length < size) {
        const next = iterator.next();
        if (next.done) ended = true;
        else batch.push(next.value);
      }
      return batch;
    },
  };
}
