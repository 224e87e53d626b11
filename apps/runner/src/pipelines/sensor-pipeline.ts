/**
 * The standard pipeline: simulated sensors → bounded queue → batch assembler
 * → Worker pool (`computeBatch`) → results sink. It owns every stage: when the
 * duration ends or the signal fires, it stops the sources, closes the queue,
 * flushes the last batch, awaits the batches in flight and closes the pool.
 */
import { BatchAssembler, type BatchAssemblerStats } from "@poolstream/batching";
import {
  type Clock,
  type Distribution,
  InFlightWindow,
  type SensorRecord,
  systemClock,
  toError,
} from "@poolstream/core";
import { AsyncIngestionLayer, AsyncSensorSource, type IngestionReport } from "@poolstream/ingest";
import { ProcessPoolComputeLayer, type TaskExecutor, WorkerPool } from "@poolstream/pool";
import { ResultsSink } from "@poolstream/sink";

export interface SensorPipelineOptions {
  readonly durationSec: number;
  readonly sensors: number;
  readonly intervalMs: number;
  readonly batchSize: number;
  readonly workers: number;
  readonly seed: number;
  /** Flush a smaller batch after this long with no new record. Default 0.5 s. */
  readonly maxWaitSec?: number;
  readonly queueCapacity?: number;
  /** Stops ingestion early; everything already ingested is still processed. */
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  /** Sensors that fail after N readings, by index, to show source errors. */
  readonly failingSensors?: Readonly<Record<number, number>>;
  readonly clock?: Clock;
}

export interface FailedBatch {
  readonly size: number;
  readonly error: Error;
}

export interface SensorPipelineReport {
  readonly ingestion: IngestionReport;
  readonly batches: BatchAssemblerStats;
  readonly processed: number;
  readonly anomalies: number;
  readonly invalid: number;
  readonly meanNormalized: number;
  readonly failedBatches: readonly FailedBatch[];
  /** Records of batches that failed; with `processed` they add up to `ingestion.total`. */
  readonly failedRecords: number;
  readonly latencyMs: Distribution;
  readonly elapsedSec: number;
  readonly throughputPerSec: number;
  /** Every ingested record came out as a result or as part of a failed batch. */
  readonly accountedFor: boolean;
  readonly aborted: boolean;
}

export async function runSensorPipeline(options: SensorPipelineOptions): Promise<SensorPipelineReport> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? console.log;
  const sources = Array.from(
    { length: options.sensors },
    (_, i) =>
      new AsyncSensorSource({
        id: `sensor-${i + 1}`,
        intervalMs: options.intervalMs,
        seed: options.seed,
        clock,
        ...(options.failingSensors?.[i] === undefined ? {} : { failAfter: options.failingSensors[i] }),
      }),
  );
  const ingestion = new AsyncIngestionLayer(sources, { capacity: options.queueCapacity ?? 50, clock });
  await using pool = new WorkerPool({ size: options.workers });
  const compute = new ProcessPoolComputeLayer();
  const sink = new ResultsSink({ log, clock });
  const assembler = new BatchAssembler();
  const failedBatches: FailedBatch[] = [];
  const startMs = clock.now();

  const ingesting = ingestion.run(options.durationSec, options.signal === undefined ? {} : { signal: options.signal });
  const computing = computeAll(
    assembler.assemble(ingestion.queue, options.batchSize, options.maxWaitSec ?? 0.5),
    pool,
    {
      compute,
      sink,
      failedBatches,
      maxInFlight: options.workers * pool.pipelineDepth,
    },
  ).catch((error: unknown) => {
    // The machinery failed: stop the producers too, rather than leave them waiting on a full queue.
    ingestion.queue.close();
    throw error;
  });
  const [ingestionReport] = await Promise.all([ingesting, computing]);
  await pool.close();

  const elapsedSec = (clock.now() - startMs) / 1000;
  const summary = sink.summary();
  const failedRecords = failedBatches.reduce((sum, batch) => sum + batch.size, 0);
  return {
    ingestion: ingestionReport,
    batches: assembler.stats(),
    processed: summary.received,
    anomalies: summary.anomalies,
    invalid: summary.invalid,
    meanNormalized: summary.meanNormalized,
    failedBatches,
    failedRecords,
    latencyMs: summary.latencyMs,
    elapsedSec,
    throughputPerSec: elapsedSec > 0 ? summary.received / elapsedSec : 0,
    accountedFor: summary.received + failedRecords === ingestionReport.total,
    aborted: options.signal?.aborted ?? false,
  };
}

interface ComputeStage {
  readonly compute: ProcessPoolComputeLayer;
  readonly sink: ResultsSink;
  readonly failedBatches: FailedBatch[];
  /** Batches submitted and not yet back; bounding it is what carries backpressure to the queue. */
  readonly maxInFlight: number;
}

async function computeAll(
  batches: AsyncIterable<SensorRecord[]>,
  pool: TaskExecutor,
  stage: ComputeStage,
): Promise<void> {
  const window = new InFlightWindow(stage.maxInFlight);
  for await (const batch of batches) {
    const done: Promise<void> = stage.compute.submitBatch(pool, batch).then(
      (results) => stage.sink.receiveBatch(results),
      (error: unknown) => {
        stage.failedBatches.push({ size: batch.length, error: toError(error) });
      },
    );
    await window.add(done);
  }
  await window.drain();
}
