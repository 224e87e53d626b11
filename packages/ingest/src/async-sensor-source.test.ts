import { describe, expect, test } from "bun:test";
import { InvalidArgumentError, ManualClock, SensorFailureError, type SensorRecord } from "@poolstream/core";
import { AsyncSensorSource } from "./async-sensor-source.ts";

async function collect(iterable: AsyncIterable<SensorRecord>, into: SensorRecord[]): Promise<void> {
  for await (const record of iterable) into.push(record);
}

describe("AsyncSensorSource", () => {
  test("emits one record per interval until the signal fires", async () => {
    const clock = new ManualClock(10_000);
    const controller = new AbortController();
    const source = new AsyncSensorSource({ id: "s1", intervalMs: 50, seed: 3, clock, signal: controller.signal });
    const records: SensorRecord[] = [];
    const done = collect(source, records);
    await clock.advance(49);
    expect(records).toHaveLength(0);
    await clock.advance(1);
    expect(records).toHaveLength(1);
    await clock.advance(200);
    expect(records).toHaveLength(5);
    controller.abort();
    await done;
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(records.map((r) => r.createdAt)).toEqual([10_050, 10_100, 10_150, 10_200, 10_250]);
    for (const r of records) {
      expect(r.sensorId).toBe("s1");
      expect(r.value).toBeGreaterThanOrEqual(0);
      expect(r.value).toBeLessThanOrEqual(100);
    }
    expect(clock.pendingTimers).toBe(0);
  });

  test("the same seed and id give the same values; another id gives others", async () => {
    const values = async (id: string) => {
      const clock = new ManualClock();
      const controller = new AbortController();
      const records: SensorRecord[] = [];
      const done = collect(new AsyncSensorSource({ id, seed: 9, clock, signal: controller.signal }), records);
      await clock.advance(500);
      controller.abort();
      await done;
      return records.map((r) => r.value);
    };
    expect(await values("a")).toEqual(await values("a"));
    expect(await values("a")).not.toEqual(await values("b"));
  });

  test("failAfter makes the stream throw a SensorFailureError after N readings", async () => {
    const clock = new ManualClock();
    const source = new AsyncSensorSource({ id: "bad", intervalMs: 10, failAfter: 3, clock });
    const records: SensorRecord[] = [];
    const done = collect(source, records);
    const outcome = done.then(
      () => undefined,
      (error: unknown) => error,
    );
    await clock.advance(100);
    const error = await outcome;
    expect(error).toBeInstanceOf(SensorFailureError);
    expect(records).toHaveLength(3);
  });

  test("rejects a negative interval", () => {
    for (const intervalMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => new AsyncSensorSource({ id: "x", intervalMs })).toThrow(InvalidArgumentError);
    }
  });
});
