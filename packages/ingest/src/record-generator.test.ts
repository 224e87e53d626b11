import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "@poolstream/core";
import { generateSensorRecords } from "./record-generator.ts";

describe("generateSensorRecords", () => {
  test("spreads records round-robin over sensors with per-sensor sequence numbers, reproducibly", () => {
    const records = generateSensorRecords({ count: 7, sensors: 3, seed: 5, createdAt: 1000 });
    expect(records.map((r) => r.sensorId)).toEqual([
      "sensor-1",
      "sensor-2",
      "sensor-3",
      "sensor-1",
      "sensor-2",
      "sensor-3",
      "sensor-1",
    ]);
    expect(records.map((r) => r.seq)).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(records.every((r) => r.value >= 0 && r.value <= 100 && r.createdAt === 1000)).toBe(true);
    expect(generateSensorRecords({ count: 7, sensors: 3, seed: 5, createdAt: 1000 })).toEqual(records);
    expect(generateSensorRecords({ count: 7, sensors: 3, seed: 6, createdAt: 1000 })).not.toEqual(records);
  });

  test("rejects a negative count", () => {
    expect(() => generateSensorRecords({ count: -1 })).toThrow(InvalidArgumentError);
  });
});
