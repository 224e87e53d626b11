/**
 * The compute stage of the standard pipeline: hands each batch to an executor
 * as a `computeBatch` task, so the event loop stays free for ingestion while
 * workers compute.
 */
import type { ProcessedRecord, SensorRecord } from "@poolstream/core";
import { computeBatch } from "./kernels/compute-batch.ts";
import type { RunOptions, TaskExecutor } from "./task-executor.ts";

export interface ComputeLayerStats {
  readonly submitted: number;
  readonly completed: number;
  readonly failed: number;
  readonly inFlight: number;
}

export class ProcessPoolComputeLayer {
  #submitted = 0;
  #completed = 0;
  #failed = 0;

  /** Computes `batch` on `pool`; resolves with one result per record, in order. */
  async submitBatch(
    pool: TaskExecutor,
    batch: readonly SensorRecord[],
    options?: RunOptions,
  ): Promise<ProcessedRecord[]> {
    this.#submitted++;
    try {
      const results = await pool.run(computeBatch, batch, options);
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
