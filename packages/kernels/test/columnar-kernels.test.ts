import { describe, expect, test } from "bun:test";
import { encodeColumnar, isDetached, SensorInterner, type SensorRecord } from "@poolstream/core";
import { WorkerPool } from "@poolstream/pool";
import fc from "fast-check";
import {
  type BatchStatsColumns,
  computeBatchColumnar,
  computeBatchRecords,
  materializeProcessed,
} from "../src/compute-batch.ts";
import {
  computeHeavyBatch,
  computeHeavyColumnar,
  computeLightBatch,
  computeLightColumnar,
} from "../src/light-heavy.ts";

const value = fc.oneof(
  { weight: 10, arbitrary: fc.double({ min: -1e9, max: 1e9 }) },
  { weight: 1, arbitrary: fc.constantFrom(-0, Number.MIN_VALUE, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE) },
);
const records = fc.array(
  fc.record({ sensorId: fc.constantFrom("a", "b"), seq: fc.nat(), value, timestamp: fc.nat(), createdAt: fc.nat() }),
  { maxLength: 40 },
);

describe("columnar kernels give the same results as the object kernels", () => {
  test("property: computeBatch, light and heavy, in-process", () => {
    fc.assert(
      fc.property(records, (batch: SensorRecord[]) => {
        const interner = new SensorInterner();
        const stats = computeBatchColumnar(encodeColumnar(batch, interner));
        expect(materializeProcessed(batch, stats)).toEqual(computeBatchRecords(batch));
        // Compared as plain arrays, where NaN equals NaN.
        expect(Array.from(computeLightColumnar(encodeColumnar(batch, interner)))).toEqual(
          Array.from(computeLightBatch(batch)),
        );
        expect(Array.from(computeHeavyColumnar(encodeColumnar(batch, interner)))).toEqual(
          Array.from(computeHeavyBatch(batch)),
        );
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  test("through a Worker: the batch is transferred (never read again by the sender) and the results match", async () => {
    await using pool = new WorkerPool({ size: 1 });
    const batch: SensorRecord[] = Array.from({ length: 300 }, (_, i) => ({
      sensorId: `s${i % 4}`,
      seq: i,
      value: i % 17 === 0 ? Number.NaN : (i * 7919) % 101,
      timestamp: i,
      createdAt: i,
    }));
    const columns = encodeColumnar(batch, new SensorInterner());
    const sent = pool.run(computeBatchColumnar, columns, { transfer: [columns.buffer] });
    // The moment it is sent, the sender's view is empty: reading it would find nothing.
    expect(isDetached(columns)).toBe(true);
    const stats: BatchStatsColumns = await sent;
    expect(stats.normalized).toBeInstanceOf(Float64Array);
    expect(materializeProcessed(batch, stats)).toEqual(computeBatchRecords(batch));

    const heavyColumns = encodeColumnar(batch, new SensorInterner());
    const scores = await pool.run(computeHeavyColumnar, heavyColumns, { transfer: [heavyColumns.buffer] });
    expect(isDetached(heavyColumns)).toBe(true);
    expect(Array.from(scores)).toEqual(Array.from(computeHeavyBatch(batch)));
  });
});
