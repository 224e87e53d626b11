/**
 * A source that could not read a record (a line that does not parse, a
 * payload of the wrong shape) puts an error record in its place, so that the
 * record is still accounted for, with its reason. Such a failure needs no
 * computing: this transport wrapper takes failures out of a batch before it
 * is encoded, and puts them back, as they are, among the decoded outputs.
 * A batch without failures goes through untouched (one scan of the batch).
 */
import type { BatchTransport } from "./batch-transport.ts";
import { isRecordFailure } from "./record-failure.ts";

/** `transport`, with the record failures of a batch passed through instead of computed. */
export function passRecordFailures<R, W, Out, Item>(
  transport: BatchTransport<R, W, Out, ArrayLike<Item>>,
): BatchTransport<R, W, Out, ArrayLike<Item>> {
  return {
    name: transport.name,
    kernel: transport.kernel,
    encode(batch) {
      return transport.encode(hasFailure(batch) ? batch.filter((record) => !isRecordFailure(record)) : batch);
    },
    decode(output, batch) {
      if (!hasFailure(batch)) return transport.decode(output, batch);
      const computed = batch.filter((record) => !isRecordFailure(record));
      const outputs = transport.decode(output, computed);
      const merged = new Array<Item>(batch.length);
      let next = 0;
      for (let i = 0; i < batch.length; i++) {
        const record = batch[i] as R;
        merged[i] = isRecordFailure(record) ? (record as unknown as Item) : (outputs[next++] as Item);
      }
      return merged;
    },
  };
}

function hasFailure(batch: readonly unknown[]): boolean {
  for (let i = 0; i < batch.length; i++) if (isRecordFailure(batch[i])) return true;
  return false;
}
