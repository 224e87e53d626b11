/**
 * The priority lanes under a saturating load: a NORMAL producer keeps its lane
 * full (a backlog of at least 10 batches) while CRITICAL records arrive one
 * per millisecond. Run once with the priority processor and once through a
 * single FIFO lane, to compare CRITICAL latency and NORMAL throughput.
 */
import { BoundedQueue, type Distribution, InFlightWindow, SampleRecorder, sleep, systemClock } from "@poolstream/core";
import { generateSensorRecords } from "@poolstream/ingest";
import { runBatch, type TaskExecutor } from "@poolstream/pool";
import {
  classify,
  type PrioritizedRecord,
  PriorityBatchQueue,
  PriorityPoolProcessor,
  priorityColumnarTransport,
} from "@poolstream/priority";

export interface PriorityScenarioResult {
  readonly criticalLatencyMs: Distribution;
  readonly normalLatencyMs: Distribution;
  readonly normalPerSec: number;
  /** One batch alone on an idle worker: compute plus transport. */
  readonly oneBatchMs: number;
}

export interface PriorityScenarioOptions {
  readonly pool: TaskExecutor;
  readonly normalRecords: number;
  readonly batchSize: number;
  readonly workPerRecord: number;
  readonly laneCapacity: number;
  /** See `PriorityPoolProcessorOptions.criticalBatchFill`. */
  readonly criticalBatchFill?: number;
  /** See `PriorityPoolProcessorOptions`. */
  readonly maxNormalInFlight?: number;
  readonly maxInFlight?: number;
}

const fresh = (record: PrioritizedRecord): PrioritizedRecord => ({ ...record, createdAt: systemClock.now() });

function loads(count: number) {
  const normal = generateSensorRecords({ count, seed: 11, valueGenerator: (r) => 15 + r() * 70 });
  const critical = generateSensorRecords({ count: count, seed: 12, valueGenerator: (r) => 90 + r() * 10 });
  return {
    normal: normal.map((r) => ({ ...r, priority: classify(r) })),
    critical: critical.map((r) => ({ ...r, priority: classify(r) })),
  };
}

/** Puts CRITICAL records one per millisecond until `done` fires. */
async function paceCritical(
  critical: readonly PrioritizedRecord[],
  put: (r: PrioritizedRecord) => Promise<void>,
  done: AbortSignal,
) {
  for (const record of critical) {
    try {
      await sleep(systemClock, 1, done);
    } catch {
      return;
    }
    await put(fresh(record));
  }
}

export async function runWithPriority(options: PriorityScenarioOptions): Promise<PriorityScenarioResult> {
  const { pool, batchSize, workPerRecord } = options;
  const transport = priorityColumnarTransport(workPerRecord);
  const oneBatchMs = await timeOneBatch(pool, transport, batchSize);
  const { normal, critical } = loads(options.normalRecords);
  const queue = new PriorityBatchQueue({ capacity: options.laneCapacity });
  const stop = new AbortController();
  const processor = new PriorityPoolProcessor({
    queue,
    pool,
    batchSize,
    transport,
    ...(options.criticalBatchFill === undefined ? {} : { criticalBatchFill: options.criticalBatchFill }),
    ...(options.maxNormalInFlight === undefined ? {} : { maxNormalInFlight: options.maxNormalInFlight }),
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
  });
  const running = processor.run();
  const pacing = paceCritical(critical, (r) => queue.put(r, r.priority), stop.signal);
  const start = systemClock.now();
  for (const record of normal) await queue.put(fresh(record), record.priority);
  stop.abort();
  await pacing;
  queue.close();
  const stats = await running;
  const elapsedSec = (systemClock.now() - start) / 1000;
  return {
    criticalLatencyMs: stats.criticalLatencyMs,
    normalLatencyMs: stats.normalLatencyMs,
    normalPerSec: stats.normalProcessed / elapsedSec,
    oneBatchMs,
  };
}

/** The same load through one FIFO lane, batches in arrival order, two per worker in flight. */
export async function runWithoutPriority(options: PriorityScenarioOptions): Promise<PriorityScenarioResult> {
  const { pool, batchSize, workPerRecord } = options;
  const transport = priorityColumnarTransport(workPerRecord);
  const oneBatchMs = await timeOneBatch(pool, transport, batchSize);
  const { normal, critical } = loads(options.normalRecords);
  const queue = new BoundedQueue<PrioritizedRecord>({ capacity: options.laneCapacity * 2 });
  const stop = new AbortController();
  const latency = { CRITICAL: new SampleRecorder(), NORMAL: new SampleRecorder() };
  const maxInFlight = pool.stats().workers * 2;
  const consuming = (async () => {
    const window = new InFlightWindow(maxInFlight);
    for (;;) {
      await window.waitForRoom();
      const first = await queue.poll();
      if (first.done) break;
      const batch = [first.value, ...queue.takeUpTo(batchSize - 1)];
      const done = runBatch(pool, transport, batch).then((results) => {
        const now = systemClock.now();
        for (const r of results) latency[r.priority].record(now - r.createdAt);
      });
      window.track(done);
    }
    await window.drain();
  })();
  const pacing = paceCritical(critical, (r) => queue.put(r), stop.signal);
  const start = systemClock.now();
  for (const record of normal) await queue.put(fresh(record));
  stop.abort();
  await pacing;
  queue.close();
  await consuming;
  const elapsedSec = (systemClock.now() - start) / 1000;
  return {
    criticalLatencyMs: latency.CRITICAL.summary(),
    normalLatencyMs: latency.NORMAL.summary(),
    normalPerSec: latency.NORMAL.count / elapsedSec,
    oneBatchMs,
  };
}

async function timeOneBatch(
  pool: TaskExecutor,
  transport: ReturnType<typeof priorityColumnarTransport>,
  batchSize: number,
) {
  const batch = loads(batchSize).normal.slice(0, batchSize);
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) {
    const start = systemClock.now();
    await runBatch(pool, transport, batch);
    samples.push(systemClock.now() - start);
  }
  return samples.sort((a, b) => a - b)[7] ?? 0;
}
