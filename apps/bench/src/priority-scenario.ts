/**
 * The priority lanes under a saturating load: a NORMAL producer keeps its lane
 * full (a backlog of at least 10 batches) while CRITICAL records arrive one
 * per millisecond. The same pipeline runs once with `priorityLanes` and once
 * with one FIFO lane of twice the capacity, and the same sink measures both:
 * creation → delivered, per classification of the record.
 */
import {
  AbortError,
  type Distribution,
  type Executor,
  fifoLane,
  fixedSize,
  type LaneSet,
  LatencyHistogram,
  QueueClosedError,
  type RecordTarget,
  runBatch,
  type SensorRecord,
  type Sink,
  type SinkBatch,
  type Source,
  type SourceReport,
  sleep,
  systemClock,
} from "@poolstream/core";
import { generateSensorRecords } from "@poolstream/ingest";
import { pipeline } from "@poolstream/pipeline";
import {
  classify,
  Priority,
  type PriorityResult,
  type PriorityTransport,
  priorityColumnarTransport,
  priorityLanes,
} from "@poolstream/priority";

export interface PriorityScenarioResult {
  readonly criticalLatencyMs: Distribution;
  readonly normalLatencyMs: Distribution;
  readonly normalPerSec: number;
  /** Batches the pipeline cut in the run. */
  readonly batches: number;
  /** One batch alone on an idle worker: compute plus transport. */
  readonly oneBatchMs: number;
}

export interface PriorityScenarioOptions {
  readonly pool: Executor;
  readonly normalRecords: number;
  readonly batchSize: number;
  readonly workPerRecord: number;
  /** Capacity of each priority lane; the FIFO lane holds twice as many. */
  readonly laneCapacity: number;
}

const fresh = (record: SensorRecord): SensorRecord => ({ ...record, createdAt: systemClock.now() });

/** NORMAL readings lie in [15, 85], CRITICAL ones in [90, 100]: `classify` tells them apart. */
function loads(count: number) {
  return {
    normal: generateSensorRecords({ count, seed: 11, valueGenerator: (r) => 15 + r() * 70 }),
    critical: generateSensorRecords({ count, seed: 12, valueGenerator: (r) => 90 + r() * 10 }),
  };
}

/** True when a put ended because the pipeline stopped its input, not because something broke. */
const stopped = (error: unknown) => error instanceof AbortError || error instanceof QueueClosedError;

/**
 * The load as a `Source`: every NORMAL record as fast as its lane takes it,
 * and, alongside, a CRITICAL record every millisecond until the NORMAL
 * records are all in. Each record's `createdAt` is the moment it is offered.
 */
function saturatingLoad(normal: readonly SensorRecord[], critical: readonly SensorRecord[]): Source<SensorRecord> {
  return {
    async ingest(target: RecordTarget<SensorRecord>, signal: AbortSignal): Promise<SourceReport> {
      const normalDone = new AbortController();
      const pacerStop = AbortSignal.any([signal, normalDone.signal]);
      const perSource = { NORMAL: 0, CRITICAL: 0 };
      const pacing = (async () => {
        for (const record of critical) {
          try {
            await sleep(systemClock, 1, pacerStop);
            await target.put(fresh(record), { signal });
          } catch (error) {
            if (stopped(error)) return;
            throw error;
          }
          perSource.CRITICAL++;
        }
      })();
      try {
        for (const record of normal) {
          await target.put(fresh(record), { signal });
          perSource.NORMAL++;
        }
      } catch (error) {
        if (!stopped(error)) throw error;
      } finally {
        normalDone.abort();
        await pacing;
      }
      return { perSource, total: perSource.NORMAL + perSource.CRITICAL, errors: [] };
    },
  };
}

/** Creation → delivered for every record it is given, kept apart by `classify(record)`. */
class LatencyByClass implements Sink<SensorRecord, PriorityResult> {
  readonly byClass = new Map<Priority, LatencyHistogram>([
    [Priority.critical, new LatencyHistogram()],
    [Priority.normal, new LatencyHistogram()],
  ]);

  write(batch: SinkBatch<SensorRecord, PriorityResult>): void {
    const now = systemClock.now();
    for (const record of batch.records) this.byClass.get(classify(record))?.record(now - record.createdAt);
  }

  close(): void {}

  summary(priority: Priority): Distribution {
    return (this.byClass.get(priority) as LatencyHistogram).summary();
  }
}

async function runScenario(options: PriorityScenarioOptions, lanes: LaneSet<SensorRecord>) {
  const { pool, batchSize, workPerRecord } = options;
  const transport = priorityColumnarTransport(workPerRecord);
  const oneBatchMs = await timeOneBatch(pool, transport, batchSize);
  const { normal, critical } = loads(options.normalRecords);
  const latency = new LatencyByClass();
  const start = systemClock.now();
  const report = await pipeline<SensorRecord, PriorityResult>({
    source: saturatingLoad(normal, critical),
    executor: pool,
    transport,
    lanes,
    sizer: fixedSize(batchSize),
    sinks: [latency],
  }).run();
  const elapsedSec = (systemClock.now() - start) / 1000;
  const { accounting } = report;
  if (!accounting.holds || accounting.results !== accounting.entered) {
    throw new Error(`priority scenario: ${accounting.results} results of ${accounting.entered} records`);
  }
  const normalLatencyMs = latency.summary(Priority.normal);
  if (normalLatencyMs.count !== normal.length) {
    throw new Error(`priority scenario: ${normalLatencyMs.count} NORMAL results of ${normal.length}`);
  }
  return {
    criticalLatencyMs: latency.summary(Priority.critical),
    normalLatencyMs,
    normalPerSec: normalLatencyMs.count / elapsedSec,
    batches: report.counters.batchesCut,
    oneBatchMs,
  };
}

/** CRITICAL and NORMAL lanes of `laneCapacity` each. */
export function runWithPriority(options: PriorityScenarioOptions): Promise<PriorityScenarioResult> {
  return runScenario(options, priorityLanes({ capacity: options.laneCapacity }));
}

/** The same load through one FIFO lane holding as many records as the two priority lanes together. */
export function runWithoutPriority(options: PriorityScenarioOptions): Promise<PriorityScenarioResult> {
  return runScenario(options, fifoLane({ capacity: options.laneCapacity * 2 }));
}

/** The median of 15 batches of NORMAL records, each run alone on an idle pool. */
async function timeOneBatch(pool: Executor, transport: PriorityTransport, batchSize: number): Promise<number> {
  const batch = loads(batchSize).normal;
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) {
    const start = systemClock.now();
    await runBatch(pool, transport, batch);
    samples.push(systemClock.now() - start);
  }
  return samples.sort((a, b) => a - b)[7] ?? 0;
}
