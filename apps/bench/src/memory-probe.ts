/**
 * Runs N records through the columnar pipeline (an async producer → a lane of
 * 1,000 → batches of 200 → a pool of 2 → a sink that counts) and prints the
 * peak resident memory as JSON. Run in a child process, so each size is
 * measured alone. Usage: bun src/memory-probe.ts <records>
 */
import {
  columnarTransport,
  fifoLane,
  fixedSize,
  type ProcessedRecord,
  type SensorRecord,
  systemClock,
} from "@poolstream/core";
import { computeBatchColumnar, materializeProcessed } from "@poolstream/kernels";
import { pipeline } from "@poolstream/pipeline";
import { WorkerPool } from "@poolstream/pool";

const count = Number(process.argv[2] ?? 100_000);
await using pool = new WorkerPool({ size: 2 });
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

/** Records made as they are asked for, so the input itself holds no memory. */
async function* produce(): AsyncGenerator<SensorRecord> {
  for (let i = 0; i < count; i++) {
    const now = systemClock.now();
    yield {
      sensorId: `sensor-${(i % 5) + 1}`,
      seq: Math.floor(i / 5),
      value: (i * 7919) % 101,
      timestamp: Math.floor(now),
      createdAt: now,
    };
  }
}

let processed = 0;
const report = await pipeline<SensorRecord, ProcessedRecord>({
  source: produce(),
  executor: pool,
  transport: columnarTransport(computeBatchColumnar, (stats, batch: readonly SensorRecord[]) =>
    materializeProcessed(batch, stats),
  ),
  lanes: fifoLane({ capacity: 1000 }),
  sizer: fixedSize(200),
  sinks: [
    {
      write(batch) {
        processed += batch.results.length;
      },
      close() {},
    },
  ],
}).run();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
if (processed !== count || report.accounting.results !== count) {
  throw new Error(`processed ${processed} of ${count}`);
}
console.log(JSON.stringify({ records: count, peakRssBytes: peakRss }));
