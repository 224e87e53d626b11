import { describe, expect, test } from "bun:test";
import {
  flushMicrotasks,
  InvalidArgumentError,
  type LaneCounts,
  ManualClock,
  QueueClosedError,
  type SensorRecord,
} from "@poolstream/core";
import fc from "fast-check";
import { priorityLanes } from "./priority-lanes.ts";

const record = (seq: number, value = 50): SensorRecord => ({ sensorId: "s", seq, value, timestamp: 0, createdAt: 0 });
const critical = (seq: number) => record(seq, 99);

describe("priorityLanes", () => {
  test("records go to the lane their value gives them; a batch takes every CRITICAL record first", async () => {
    const lanes = priorityLanes();
    expect(lanes.names).toEqual(["CRITICAL", "NORMAL"]);
    expect(lanes.firstLaneUrgent).toBe(true);
    for (let i = 0; i < 4; i++) await lanes.put(record(i));
    for (let i = 10; i < 13; i++) await lanes.put(critical(i));
    const counts: LaneCounts = [];
    expect(lanes.take(5, counts).map((r) => r.seq)).toEqual([10, 11, 12, 0, 1]);
    expect(counts).toEqual([3, 2]);
    expect(lanes.take(5, counts).map((r) => r.seq)).toEqual([2, 3]);
    expect(counts).toEqual([0, 2]);
  });

  test("property: for any interleaving, each batch holds all available CRITICAL records before any NORMAL; nothing lost", () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant("put" as const), critical: fc.boolean() }),
      fc.record({ op: fc.constant("take" as const), size: fc.integer({ min: 1, max: 7 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const lanes = priorityLanes({ capacity: 1000 });
        const model = { critical: [] as number[], normal: [] as number[] };
        const taken: number[] = [];
        const counts: LaneCounts = [];
        let seq = 0;
        for (const s of steps) {
          if (s.op === "put") {
            expect(lanes.tryPut(s.critical ? critical(seq) : record(seq))).toBe(true);
            (s.critical ? model.critical : model.normal).push(seq++);
            continue;
          }
          const batch = lanes.take(s.size, counts);
          const expectedCritical = model.critical.splice(0, s.size);
          const expectedNormal = model.normal.splice(0, s.size - expectedCritical.length);
          expect(batch.map((r) => r.seq)).toEqual([...expectedCritical, ...expectedNormal]);
          expect(counts).toEqual([expectedCritical.length, expectedNormal.length]);
          taken.push(...batch.map((r) => r.seq));
        }
        taken.push(...lanes.take(10_000, counts).map((r) => r.seq));
        expect(taken.sort((a, b) => a - b)).toEqual(Array.from({ length: seq }, (_, i) => i));
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  test("each lane has its own capacity: a full NORMAL lane makes NORMAL puts wait, not CRITICAL ones", async () => {
    const lanes = priorityLanes({ capacity: 2 });
    await lanes.put(record(0));
    await lanes.put(record(1));
    let third = false;
    const waiting = lanes.put(record(2)).then(() => {
      third = true;
    });
    await lanes.put(critical(3)); // not held up by the full NORMAL lane
    await flushMicrotasks();
    expect(third).toBe(false);
    expect(lanes.take(1, [], 0).map((r) => r.seq)).toEqual([3]); // CRITICAL only
    lanes.take(1, []);
    await waiting;
    expect(third).toBe(true);
  });

  test("a take limited to urgent records leaves NORMAL ones waiting", () => {
    const lanes = priorityLanes();
    lanes.tryPut(record(0));
    lanes.tryPut(critical(1));
    const counts: LaneCounts = [];
    expect(lanes.take(10, counts, 0).map((r) => r.seq)).toEqual([1]);
    expect(counts).toEqual([1, 0]);
    expect(lanes.depth(1)).toBe(1);
  });

  test("waits: for any record, for an urgent one, with a timeout on the injected clock", async () => {
    const clock = new ManualClock();
    const lanes = priorityLanes({ clock });
    let urgent = false;
    const urgentArrival = lanes.waitForUrgent().then(() => {
      urgent = true;
    });
    const timedOut = lanes.waitForRecords(100);
    await clock.advance(100);
    expect(await timedOut).toBe(false);
    const any = lanes.waitForRecords();
    lanes.tryPut(record(0)); // NORMAL: wakes readers, not urgent watchers
    expect(await any).toBe(true);
    await flushMicrotasks();
    expect(urgent).toBe(false);
    lanes.tryPut(critical(1));
    await urgentArrival;
    expect(urgent).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  test("after close: what is left can be taken; puts are refused; waits end", async () => {
    const lanes = priorityLanes();
    lanes.tryPut(record(0));
    const waiting = lanes.waitForUrgent();
    lanes.close();
    lanes.close(); // idempotent
    await waiting;
    expect(() => lanes.tryPut(record(1))).toThrow(QueueClosedError);
    await expect(lanes.put(record(1))).rejects.toThrow(QueueClosedError);
    expect(lanes.take(5, []).map((r) => r.seq)).toEqual([0]);
    expect(await lanes.waitForRecords()).toBe(true);
    expect(lanes.accepted).toBe(1);
  });

  test("strict priority starves NORMAL under CRITICAL load; minNormalShare reserves room for it", () => {
    const fill = (share: number) => {
      const lanes = priorityLanes({ capacity: 100, minNormalShare: share });
      for (let i = 0; i < 50; i++) lanes.tryPut(critical(i));
      for (let i = 50; i < 60; i++) lanes.tryPut(record(i));
      const counts: LaneCounts = [];
      lanes.take(10, counts);
      return counts;
    };
    expect(fill(0)).toEqual([10, 0]);
    expect(fill(0.3)).toEqual([7, 3]);
    expect(() => priorityLanes({ minNormalShare: 1 })).toThrow(InvalidArgumentError);
    expect(() => priorityLanes({ minNormalShare: Number.NaN })).toThrow(InvalidArgumentError);
  });

  test("thresholds, a schema or a rule of one's own decide the lane", () => {
    const strict = priorityLanes({ thresholds: { failure: 40, overheat: 60 } });
    strict.tryPut(record(0, 30));
    expect(strict.depth(0)).toBe(1);
    const custom = priorityLanes<{ id: number; hot: boolean }>({ classify: (r) => (r.hot ? "CRITICAL" : "NORMAL") });
    custom.tryPut({ id: 1, hot: true });
    custom.tryPut({ id: 2, hot: false });
    expect([custom.depth(0), custom.depth(1)]).toEqual([1, 1]);
    expect(() => priorityLanes({ thresholds: { failure: 90, overheat: 10 } })).toThrow(InvalidArgumentError);
    expect(() => priorityLanes({ thresholds: { overheat: Number.POSITIVE_INFINITY } })).toThrow(InvalidArgumentError);
  });
});
