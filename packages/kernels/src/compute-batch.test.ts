import { describe, expect, test } from "bun:test";
import { type SensorRecord, schemaOf } from "@poolstream/core";
import fc from "fast-check";
import {
  computeBatch,
  computeBatchRecords,
  computeBatchStats,
  materializeProcessed,
  minMaxNormalize,
  valuesOf,
} from "./compute-batch.ts";

const record = (value: number, seq = 0): SensorRecord => ({ sensorId: "s", seq, value, timestamp: 0, createdAt: 0 });

/** The specification, written the slow and obvious way. */
function referenceRollingMeans(normalized: number[]): number[] {
  return normalized.map((_, i) => {
    const window = normalized.slice(Math.max(0, i - 4), i + 1);
    return window.reduce((a, b) => a + b, 0) / window.length;
  });
}

const finiteValue = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const anyValue = fc.oneof(
  { weight: 8, arbitrary: finiteValue },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
);

describe("computeBatch", () => {
  test("is a module-level kernel that is also callable in-process", () => {
    expect(computeBatch.kernel.exportName).toBe("computeBatch");
    expect(computeBatch.kernel.module).toBe("@poolstream/kernels");
    const out = computeBatch([record(0), record(50), record(100)]);
    expect(out.map((r) => r.normalized)).toEqual([0, 0.5, 1]);
  });

  test("a worked example: normalization, rolling mean and anomaly flags", () => {
    const out = computeBatchRecords([10, 20, 30, 40, 50, 60].map((v, i) => record(v, i)));
    expect(out.map((r) => r.normalized)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(out.map((r) => r.rollingMean)).toEqual(
      [0, 0.1, 0.2, 0.3, 0.4, 0.6].map((x) => expect.closeTo(x, 12)) as never,
    );
    expect(out.map((r) => r.anomaly)).toEqual([false, false, false, false, false, true]);
    expect(out[5]).toMatchObject({ sensorId: "s", seq: 5, value: 60, valid: true });
  });

  test("all-equal values normalize to 0; an empty batch gives no results", () => {
    expect(computeBatchRecords([record(7), record(7)]).map((r) => r.normalized)).toEqual([0, 0]);
    expect(computeBatchRecords([])).toEqual([]);
  });

  test("a value that is not a finite number is marked invalid and left out of the statistics", () => {
    const out = computeBatchRecords([record(0), record(Number.NaN), record(100), record(Number.POSITIVE_INFINITY)]);
    expect(out.map((r) => r.valid)).toEqual([true, false, true, false]);
    expect(out.map((r) => r.normalized)).toEqual([0, 0, 1, 0]);
    expect(out[2]?.rollingMean).toBe(0.5);
  });

  test("normalization near Number.MAX_VALUE does not overflow", () => {
    expect(minMaxNormalize(0, -Number.MAX_VALUE, Number.MAX_VALUE)).toBe(0.5);
    const out = computeBatchRecords([record(-Number.MAX_VALUE), record(Number.MAX_VALUE)]);
    expect(out.map((r) => r.normalized)).toEqual([0, 1]);
  });

  test("property: normalized in [0, 1], rolling mean equals the reference, anomaly iff > 0.8, no NaN out", () => {
    fc.assert(
      fc.property(fc.array(anyValue, { maxLength: 60 }), (values) => {
        const out = computeBatchRecords(values.map((v, i) => record(v, i)));
        expect(out).toHaveLength(values.length);
        const valid = out.filter((r) => r.valid);
        expect(valid.length).toBe(values.filter(Number.isFinite).length);
        const reference = referenceRollingMeans(valid.map((r) => r.normalized));
        valid.forEach((r, i) => {
          expect(r.normalized).toBeGreaterThanOrEqual(0);
          expect(r.normalized).toBeLessThanOrEqual(1);
          expect(r.rollingMean).toBeCloseTo(reference[i] as number, 12);
          expect(r.anomaly).toBe(r.normalized > 0.8);
        });
        for (const r of out) {
          expect(Number.isNaN(r.normalized) || Number.isNaN(r.rollingMean)).toBe(false);
          expect(r.seq).toBe(out.indexOf(r));
        }
      }),
      { seed: 2024, numRuns: 300 },
    );
  });
});

describe("materializeProcessed and valuesOf on records of another shape", () => {
  test("the statistics join any record, which keeps its own fields", () => {
    const schema = schemaOf<Reading>({ sensorId: "deviceId", seq: "n", value: "reading", createdAt: "ts" });
    const readings: Reading[] = [
      { deviceId: "d", n: 0, reading: 10, ts: 1 },
      { deviceId: "d", n: 1, reading: "broken", ts: 2 },
      { deviceId: "d", n: 2, reading: 30, ts: 3 },
    ];
    const values = valuesOf(readings, schema);
    expect(Array.from(values)).toEqual([10, Number.NaN, 30]);
    const out = materializeProcessed(readings, computeBatchStats(values));
    expect(out[0]).toEqual({
      deviceId: "d",
      n: 0,
      reading: 10,
      ts: 1,
      normalized: 0,
      rollingMean: 0,
      anomaly: false,
      valid: true,
    });
    expect(out[1]).toMatchObject({ reading: "broken", valid: false, normalized: 0 });
    expect(out[2]).toMatchObject({ deviceId: "d", n: 2, normalized: 1, anomaly: true, valid: true });
  });
});

interface Reading {
  readonly deviceId: string;
  readonly n: number;
  readonly reading: unknown;
  readonly ts: number;
}
