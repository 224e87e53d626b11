import { describe, expect, test } from "bun:test";
import type { SensorRecord } from "@poolstream/core";
import { WorkerPool } from "@poolstream/pool";
import { computeHeavyBatch, computeLightBatch, heavyScore, lightScore } from "./light-heavy.ts";

const records: SensorRecord[] = [0, 1.5, 42, 100].map((value, seq) => ({
  sensorId: "s",
  seq,
  value,
  timestamp: 1,
  createdAt: 2,
}));

describe("light and heavy kernels", () => {
  test("light: one multiplication per record, one score per record in order", () => {
    expect(computeLightBatch(records)).toEqual(new Float64Array([0, 3, 84, 200]));
    expect(lightScore(-0.5)).toBe(-1);
  });

  test("heavy: the sum of sin(value × k) for k = 1..100", () => {
    const out = computeHeavyBatch(records);
    let expected = 0;
    for (let k = 1; k <= 100; k++) expected += Math.sin(1.5 * k);
    expect(out).toHaveLength(4);
    expect(out[1]).toBe(expected);
    expect(heavyScore(0)).toBe(0);
  });

  test("both are module-level kernels that give the same results on a Worker", async () => {
    await using pool = new WorkerPool({ size: 1 });
    expect(await pool.run(computeLightBatch, records)).toEqual(new Float64Array([0, 3, 84, 200]));
    expect(await pool.run(computeHeavyBatch, records)).toEqual(computeHeavyBatch(records));
    expect(computeLightBatch.kernel.exportName).toBe("computeLightBatch");
    expect(computeHeavyBatch.kernel.exportName).toBe("computeHeavyBatch");
  });
});
