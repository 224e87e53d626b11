/**
 * The compute stage of the standard pipeline: hands each batch to an executor
 * as a `computeBatch` task, so the event loop stays free for ingestion while
 * workers compute. By default batches travel as transferred columns and
 * results are joined back into objects here, which costs a fraction of
 * cloning record objects both ways.
 */
import type { ProcessedRecord, SensorRecord } from "@poolstream/core";
import { type BatchTransport, columnarTransport, objectTransport, runBatch } from "./batch-transport.ts";
import { computeBatch, computeBatchColumnar, materializeProcessed } from "./kernels/compute-batch.ts";
import type { RunOptions, TaskExecutor } from "./task-executor.ts";

export interface ComputeLayerStats {
  readonly submitted: number;
  readonly completed: number;
  readonly failed: number;
  readonly inFlight: number;
}

export interface ProcessPoolComputeLayerOptions {
  /** Default "columnar". */
  readonly transport?: "columnar" | "objects";
}

type ProcessedTransport = BatchTransport<SensorRecord, unknown, unknown, ProcessedRecord[]>;

export class ProcessPoolComputeLayer {
  readonly transport: ProcessedTransport;
  #submitted = 0;
  #completed = 0;
  #failed = 0;

  constructor(options: ProcessPoolComputeLayerOptions = {}) {
    this.transport = (
      options.transport === "objects"
        ? objectTransport(computeBatch)
        : columnarTransport(computeBatchColumnar, (stats, batch) => materializeProcessed(batch, stats))
    ) as ProcessedTransport;
  }

  /** Computes `batch` on `pool`; resolves with one result per record, in order. */
  async submitBatch(
    pool: TaskExecutor,
    batch: readonly SensorRecord[],
    options?: RunOptions,
  ): Promise<ProcessedRecord[]> {
    this.#submitted++;
    try {
      const results = await runBatch(pool, this.transport, batch, options);
      this.#completed++;
      return results;
    } catch (error) {
      this.#failed++;
      throw error;
    }
  }

  stats(): ComputeLayerStats {
    return Object.freeze({
      submitted: this.#submitted,
      completed: this.#completed,
      failed: this.#failed,
      inFlight: this.#submitted - this.#completed - this.#failed,
    });
  }
}
