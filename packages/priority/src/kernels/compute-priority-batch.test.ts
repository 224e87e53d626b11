import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { classify, Priority } from "../classify.ts";
import type { PrioritizedRecord } from "../priority-batch-queue.ts";
import { priorityColumnarTransport } from "../priority-transport.ts";
import {
  computePriorityBatch,
  computePriorityColumnar,
  nominalNormalized,
  urgencyScore,
} from "./compute-priority-batch.ts";

const prioritized = (value: number, seq = 0): PrioritizedRecord => {
  const record = { sensorId: "s", seq, value, timestamp: 0, createdAt: 0 };
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

  test("CRITICAL records get urgencyScore, NORMAL ones normalized; fields and lane are kept", () => {
    const out = computePriorityBatch({ records: [prioritized(95, 1), prioritized(40, 2), prioritized(3, 3)] });
    expect(out[0]).toMatchObject({ seq: 1, priority: "CRITICAL", value: 95 });
    expect(out[0] && "urgencyScore" in out[0] ? out[0].urgencyScore : undefined).toBeCloseTo((10 / 85) * 100);
    expect(out[1]).toEqual({ ...prioritized(40, 2), priority: Priority.normal, normalized: 0.4 });
    expect(out[2] && "urgencyScore" in out[2] ? out[2].urgencyScore : undefined).toBeCloseTo(80);
  });

  test("property: the columnar kernel gives the same scores as the object kernel", () => {
    const value = fc.oneof(fc.double({ min: -50, max: 200 }), fc.constantFrom(Number.NaN, Infinity, -Infinity, 15, 85));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), (values) => {
        const batch = values.map((v, i) => prioritized(v, i));
        const viaObjects = computePriorityBatch({ records: batch });
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
