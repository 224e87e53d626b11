import { describe, expect, test } from "bun:test";
import type { SensorRecord } from "@poolstream/core";
import { computeBatchRecords } from "../src/kernels/compute-batch.ts";
import { ProcessPoolComputeLayer } from "../src/process-pool-compute-layer.ts";
import { WorkerPool } from "../src/worker-pool.ts";

describe("ProcessPoolComputeLayer", () => {
  for (const transport of ["columnar", "objects"] as const) {
    test(`computes batches on the pool with the same results as in-process (${transport})`, async () => {
      await using pool = new WorkerPool({ size: 2 });
      const layer = new ProcessPoolComputeLayer({ transport });
      expect(layer.transport.name).toBe(transport);
      const batches: SensorRecord[][] = Array.from({ length: 20 }, (_, b) =>
        Array.from({ length: 15 }, (_, i) => ({
          sensorId: `s${i % 3}`,
          seq: b * 15 + i,
          value: (i * 37 + b) % 101,
          timestamp: 1,
          createdAt: 2,
        })),
      );
      const results = await Promise.all(batches.map((batch) => layer.submitBatch(pool, batch)));
      results.forEach((result, b) => {
        expect(result).toEqual(computeBatchRecords(batches[b] as SensorRecord[]));
      });
      expect(layer.stats()).toEqual({ submitted: 20, completed: 20, failed: 0, inFlight: 0 });
    });
  }
});
