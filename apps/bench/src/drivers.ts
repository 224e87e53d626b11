/** Ways to push N records through a pool, each returning when every result is back. */
import { AdaptiveBatchProcessor } from "@poolstream/batching";
import { InFlightWindow, type SensorRecord } from "@poolstream/core";
import { type BatchTransport, runBatch, type TaskExecutor } from "@poolstream/pool";

// biome-ignore lint/suspicious/noExplicitAny: a bench driver is indifferent to the wire types
export type AnyTransport = BatchTransport<SensorRecord, any, any, any>;

/**
 * Fixed batch size, at most `maxInFlight` batches outstanding (as a pipeline
 * stage would run it), each batch run by `runOne`; checks that one output
 * came back per record. Shared by poolstream and the peers, so both are
 * driven the same way.
 */
export async function runBatchesWith(
  runOne: (batch: readonly SensorRecord[]) => Promise<ArrayLike<unknown>>,
  records: readonly SensorRecord[],
  batchSize: number,
  maxInFlight: number,
): Promise<number> {
  const window = new InFlightWindow(maxInFlight);
  let results = 0;
  for (let offset = 0; offset < records.length; offset += batchSize) {
    const done = runOne(records.slice(offset, offset + batchSize)).then((out) => {
      results += out.length;
    });
    await window.add(done);
  }
  await window.drain();
  if (results !== records.length) throw new Error(`lost records: ${results} of ${records.length}`);
  return results;
}

/** `runBatchesWith` on a poolstream pool through `transport`. */
export function runFixed(
  pool: TaskExecutor,
  transport: AnyTransport,
  records: readonly SensorRecord[],
  batchSize: number,
  maxInFlight: number,
): Promise<number> {
  return runBatchesWith((batch) => runBatch(pool, transport, batch), records, batchSize, maxInFlight);
}

/**
 * A fresh adaptive processor, as a user would start one: its exploration is
 * part of the cost. With `pinnedSize`, the same processor held at one size
 * (min = max = initial), so fixed and adaptive sizing are compared through the
 * same machinery, results collected in order in both.
 */
export async function runAdaptive(
  pool: TaskExecutor,
  transport: AnyTransport,
  records: readonly SensorRecord[],
  pinnedSize?: number,
): Promise<{ results: number; finalBatchSize: number }> {
  const pinned =
    pinnedSize === undefined
      ? {}
      : { initialBatchSize: pinnedSize, minBatchSize: pinnedSize, maxBatchSize: pinnedSize };
  const processor = new AdaptiveBatchProcessor<SensorRecord, unknown>({ pool, transport, ...pinned });
  const results = await processor.process(records);
  if (results.length !== records.length) throw new Error(`lost records: ${results.length} of ${records.length}`);
  return { results: results.length, finalBatchSize: processor.lastRun?.finalBatchSize ?? 0 };
}
