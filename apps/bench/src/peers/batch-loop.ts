/**
 * The peers' batch loop: fixed-size batches, at most `maxInFlight` outstanding,
 * each run by a function the caller gives. It drives poolifier, piscina and
 * tinypool, and poolstream's own pool as a direct `runBatch` loop, the
 * baseline the pipeline's overhead is measured against. poolstream's figures
 * go through `pipeline(...)`; this is the only other batch loop, and it lives
 * here so that it stays a bench's yardstick, not a second way to run batches.
 */
import { type BatchTransport, type Executor, InFlightWindow, runBatch, type SensorRecord } from "@poolstream/core";

/** Any transport of sensor records with one output per record: what the bench drives, whatever the wire. */
// biome-ignore lint/suspicious/noExplicitAny: a bench driver is indifferent to the wire types
export type AnyTransport = BatchTransport<SensorRecord, any, any, ArrayLike<any>>;

/**
 * Cuts `records` into batches of `batchSize` in order, runs each with
 * `runOne`, keeps at most `maxInFlight` outstanding, and checks that one
 * output came back per record. Resolves with the number of outputs.
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

/**
 * The direct loop: `runBatch` on `executor` through `transport`, at most
 * `maxInFlight` batches outstanding (default `executor.capacity`, as the
 * pipeline keeps them). No lanes, no sizer, no ordered delivery: what the
 * pipeline adds is the difference.
 */
export function runDirect(
  executor: Executor,
  transport: AnyTransport,
  records: readonly SensorRecord[],
  batchSize: number,
  maxInFlight = executor.capacity,
): Promise<number> {
  return runBatchesWith((batch) => runBatch(executor, transport, batch), records, batchSize, maxInFlight);
}
