/**
 * Runs N records through the columnar pipeline (producer → bounded queue →
 * batch assembler → pool → a sink that counts) and prints the peak resident
 * memory as JSON. Run in a child process, so each size is measured alone.
 * Usage: bun src/memory-probe.ts <records>
 */
import { BatchAssembler } from "@poolstream/batching";
import { BoundedQueue, InFlightWindow, type SensorRecord, systemClock } from "@poolstream/core";
import { ProcessPoolComputeLayer, WorkerPool } from "@poolstream/pool";

const count = Number(process.argv[2] ?? 100_000);
const batchSize = 200;
const queue = new BoundedQueue<SensorRecord>({ capacity: 1000 });
await using pool = new WorkerPool({ size: 2 });
const compute = new ProcessPoolComputeLayer();
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

const producing = (async () => {
  for (let i = 0; i < count; i++) {
    const now = systemClock.now();
    await queue.put({
      sensorId: `sensor-${(i % 5) + 1}`,
      seq: Math.floor(i / 5),
      value: (i * 7919) % 101,
      timestamp: Math.floor(now),
      createdAt: now,
    });
  }
  queue.close();
})();
let processed = 0;
const window = new InFlightWindow(4);
for await (const batch of new BatchAssembler().assemble(queue, batchSize, 1)) {
  const done = compute.submitBatch(pool, batch).then((results) => {
    processed += results.length;
  });
  await window.add(done);
}
await window.drain();
await producing;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
if (processed !== count) throw new Error(`processed ${processed} of ${count}`);
console.log(JSON.stringify({ records: count, peakRssBytes: peakRss }));
