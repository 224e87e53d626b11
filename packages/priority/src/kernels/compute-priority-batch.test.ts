import { describe, expect, test } from "bun:test";
import type { SensorRecord } from "@poolstream/core";
import fc from "fast-check";
import { classify, Priority } from "../classify.ts";
import { priorityColumnarTransport } from "../priority-transport.ts";
import {
  computePriorityBatch,
  computePriorityColumnar,
  computePriorityRecords,
  computePriorityWork,
  nominalNormalized,
  type PrioritizedRecord,
  urgencyScore,
} from "./compute-priority-batch.ts";

const plain = (value: number, seq = 0): SensorRecord => ({ sensorId: "s", seq, value, timestamp: 0, createdAt: 0 });
const prioritized = (value: number, seq = 0): PrioritizedRecord => {
  const record = plain(value, seq);
  return { ...record, priority: classify(record) };
};

describe("computePriorityBatch", () => {
  test("urgency is the distance outside the safe range as a percentage of the crossed bound", () => {
    expect(urgencyScore(100)).toBeCloseTo(((100 - 85) / 85) * 100);
    expect(urgencyScore(170)).toBeCloseTo(100);
    expect(urgencyScore(0)).toBe(100);
    expect(urgencyScore(7.5)).toBeCloseTo(50);
    expect(urgencyScore(50)).toBe(0);
    expect(urgencyScore(Number.NaN)).toBe(100);
    expect(urgencyScore(-Infinity)).toBe(100);
    expect(nominalNormalized(42)).toBe(0.42);
  });

  test("urgency follows the thresholds it is given, and stays finite at a bound of 0", () => {
    expect(urgencyScore(60, { overheat: 50, failure: 10 })).toBeCloseTo(20);
    expect(urgencyScore(-2, { overheat: 50, failure: 0 })).toBe(200);
  });

  test("CRITICAL records get urgencyScore, NORMAL ones normalized; fields are kept", () => {
    const out = computePriorityBatch([plain(95, 1), plain(40, 2), plain(3, 3)]);
    expect(out[0]).toMatchObject({ seq: 1, priority: "CRITICAL", value: 95 });
    expect(out[0] && "urgencyScore" in out[0] ? out[0].urgencyScore : undefined).toBeCloseTo((10 / 85) * 100);
    expect(out[1]).toEqual({ ...plain(40, 2), priority: Priority.normal, normalized: 0.4 });
    expect(out[2] && "urgencyScore" in out[2] ? out[2].urgencyScore : undefined).toBeCloseTo(80);
  });

  test("plain records are classified; a record's own lane is kept", () => {
    const declared = { ...plain(50, 1), priority: Priority.critical };
    const [classified, kept] = computePriorityBatch([plain(50, 0), declared]);
    expect(classified?.priority).toBe("NORMAL");
    expect(kept).toEqual({ ...declared, priority: Priority.critical, urgencyScore: 0 });
    expect(computePriorityBatch([prioritized(90)])).toEqual(computePriorityBatch([plain(90)]));
  });

  test("the kernels are found in @poolstream/priority/kernels; the work kernel gives the same results", () => {
    for (const kernel of [computePriorityBatch, computePriorityWork, computePriorityColumnar]) {
      expect(kernel.kernel).toMatchObject({ module: "@poolstream/priority/kernels", exportName: kernel.name });
    }
    const batch = [plain(95), plain(40), plain(Number.NaN)];
    expect(computePriorityWork({ records: batch, workPerRecord: 300 })).toEqual(computePriorityRecords(batch));
  });

  test("property: the columnar kernel gives the same scores as the object kernel", () => {
    const value = fc.oneof(fc.double({ min: -50, max: 200 }), fc.constantFrom(Number.NaN, Infinity, -Infinity, 15, 85));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), fc.boolean(), (values, withLanes) => {
        const batch = values.map((v, i) => (withLanes ? prioritized(v, i) : plain(v, i)));
        const viaObjects = computePriorityBatch(batch);
        const transport = priorityColumnarTransport();
        const { input } = transport.encode(batch);
        const viaColumns = transport.decode(computePriorityColumnar(input as never), batch);
        expect(viaColumns).toEqual(viaObjects);
        for (const result of viaObjects) {
          if (result.priority === "CRITICAL") expect(result.urgencyScore).toBeGreaterThan(0);
          else expect(result.normalized).toBeWithin(0.15, 0.850001);
        }
      }),
      { seed: 8, numRuns: 300 },
    );
  });
});
