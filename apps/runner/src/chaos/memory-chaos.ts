/**
 * The memory scenario: the main pipeline's shape (columns, the fault-tolerant
 * kernel on a Worker pool, the results sink keeping counters only) run over
 * 100,000 and then 1,000,000 generated records, with the heap measured after
 * a full collection following each. A pipeline that kept something per record
 * (a result, a latency sample, a sensor entry) would hold ten times as much
 * after the second run; a flat one holds about the same.
 */
import { fixedSize, type SensorRecord } from "@poolstream/core";
import { faultTolerantTransport } from "@poolstream/faults";
import { pipeline } from "@poolstream/pipeline";
import { WorkerPool } from "@poolstream/pool";
import { ResultsSink } from "@poolstream/sink";

export interface MemoryChaosResult {
  /** Records per run, and the heap (MiB) after a full collection that followed it. */
  readonly runs: readonly { readonly records: number; readonly heapMb: number; readonly rssMb: number }[];
  /** Heap after the largest run ÷ heap after the smallest. */
  readonly growth: number;
  readonly accountingHolds: boolean;
}

/** Readings of 1,000 sensors, made as they are read, so the input itself holds nothing. */
function* readings(count: number): Generator<SensorRecord> {
  const createdAt = performance.timeOrigin + performance.now();
  for (let seq = 0; seq < count; seq++) {
    yield { sensorId: `sensor-${seq % 1000}`, seq, value: (seq * 7919) % 100, timestamp: createdAt, createdAt };
  }
}

function heapAfterCollection(): { heapMb: number; rssMb: number } {
  Bun.gc(true);
  const { heapUsed, rss } = process.memoryUsage();
  return { heapMb: heapUsed / 2 ** 20, rssMb: rss / 2 ** 20 };
}

export async function runMemoryChaos(sizes: readonly number[] = [100_000, 1_000_000]): Promise<MemoryChaosResult> {
  await using pool = new WorkerPool({ size: 2, name: "chaos-memory" });
  const runs: { records: number; heapMb: number; rssMb: number }[] = [];
  let accountingHolds = true;
  for (const records of sizes) {
    const sink = new ResultsSink({ keepResults: false, summaryEvery: 0 });
    const report = await pipeline({
      source: readings(records),
      executor: pool,
      transport: faultTolerantTransport("columnar"),
      sizer: fixedSize(200),
      sinks: [sink],
    }).run();
    if (!report.accounting.holds || report.accounting.results !== records) accountingHolds = false;
    runs.push({ records, ...heapAfterCollection() });
  }
  const first = runs[0]?.heapMb ?? 0;
  const last = runs.at(-1)?.heapMb ?? 0;
  return { runs, growth: first > 0 ? last / first : Number.NaN, accountingHolds };
}
