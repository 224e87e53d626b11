import { describe, expect, test } from "bun:test";
import {
  AbortError,
  flushMicrotasks,
  InvalidArgumentError,
  ManualClock,
  QueueClosedError,
  QueueTimeoutError,
  type SensorRecord,
} from "@poolstream/core";
import fc from "fast-check";
import { Priority } from "./classify.ts";
import { PriorityBatchQueue } from "./priority-batch-queue.ts";

const record = (seq: number, value = 50): SensorRecord => ({ sensorId: "s", seq, value, timestamp: 0, createdAt: 0 });

describe("PriorityBatchQueue", () => {
  test("a batch takes every CRITICAL record it has room for, then fills up with NORMAL ones", async () => {
    const queue = new PriorityBatchQueue();
    for (let i = 0; i < 4; i++) await queue.put(record(i), Priority.normal);
    for (let i = 10; i < 13; i++) await queue.put(record(i, 99), Priority.critical);
    const first = await queue.getBatch(5);
    expect(first?.map((r) => [r.seq, r.priority])).toEqual([
      [10, "CRITICAL"],
      [11, "CRITICAL"],
      [12, "CRITICAL"],
      [0, "NORMAL"],
      [1, "NORMAL"],
    ]);
    expect((await queue.getBatch(5))?.map((r) => r.seq)).toEqual([2, 3]);
  });

  test("property: for any interleaving, each batch holds all available CRITICAL records before any NORMAL, and nothing is lost or duplicated", async () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant("put" as const), critical: fc.boolean() }),
      fc.record({ op: fc.constant("get" as const), size: fc.integer({ min: 1, max: 7 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 120 }), async (steps) => {
        const queue = new PriorityBatchQueue({ capacity: 1000 });
        const model = { critical: [] as number[], normal: [] as number[] };
        const taken: number[] = [];
        let seq = 0;
        for (const s of steps) {
          if (s.op === "put") {
            const lane = s.critical ? Priority.critical : Priority.normal;
            await queue.put(record(seq), lane);
            (s.critical ? model.critical : model.normal).push(seq++);
            continue;
          }
          if (queue.size === 0) continue;
          const batch = (await queue.getBatch(s.size)) ?? [];
          const expectedCritical = model.critical.splice(0, s.size);
          const expectedNormal = model.normal.splice(0, s.size - expectedCritical.length);
          expect(batch.map((r) => r.seq)).toEqual([...expectedCritical, ...expectedNormal]);
          expect(batch.map((r) => r.priority)).toEqual([
            ...expectedCritical.map(() => Priority.critical),
            ...expectedNormal.map(() => Priority.normal),
          ]);
          taken.push(...batch.map((r) => r.seq));
        }
        queue.close();
        for (;;) {
          const rest = await queue.getBatch(3);
          if (rest === undefined) break;
          taken.push(...rest.map((r) => r.seq));
        }
        expect([...taken].sort((a, b) => a - b)).toEqual(Array.from({ length: seq }, (_, i) => i));
      }),
      { seed: 17, numRuns: 200 },
    );
  });

  test("each lane has its own capacity: a full NORMAL lane makes NORMAL puts wait, not CRITICAL ones", async () => {
    const queue = new PriorityBatchQueue({ capacity: 2 });
    await queue.put(record(0), Priority.normal);
    await queue.put(record(1), Priority.normal);
    let thirdIn = false;
    const third = queue.put(record(2), Priority.normal).then(() => {
      thirdIn = true;
    });
    await queue.put(record(3, 1), Priority.critical); // not held up
    await flushMicrotasks();
    expect(thirdIn).toBe(false);
    expect(queue.stats()).toMatchObject({ critical: 1, normal: 2 });
    expect((await queue.getBatch(2))?.map((r) => r.seq)).toEqual([3, 0]);
    await third;
    expect(queue.stats().normal).toBe(2); // never more than the capacity
  });

  test("getBatch waits for the first record of either lane", async () => {
    const queue = new PriorityBatchQueue();
    const pending = queue.getBatch(10);
    await flushMicrotasks();
    await queue.put(record(7, 90), Priority.critical);
    expect((await pending)?.map((r) => r.seq)).toEqual([7]);
  });

  test("after close: what is left, then the end; puts are refused", async () => {
    const queue = new PriorityBatchQueue();
    await queue.put(record(1), Priority.normal);
    const waiting = new PriorityBatchQueue();
    const blocked = waiting.getBatch(3);
    queue.close();
    waiting.close();
    expect(await blocked).toBeUndefined();
    expect((await queue.getBatch(3))?.map((r) => r.seq)).toEqual([1]);
    expect(await queue.getBatch(3)).toBeUndefined();
    await expect(queue.put(record(2), Priority.critical)).rejects.toBeInstanceOf(QueueClosedError);
  });

  test("timeout on the injected clock, and abort", async () => {
    const clock = new ManualClock();
    const queue = new PriorityBatchQueue({ clock });
    const timed = queue.getBatch(5, { timeoutMs: 100 }).catch((e: unknown) => e);
    await clock.advance(100);
    expect(await timed).toBeInstanceOf(QueueTimeoutError);
    const controller = new AbortController();
    const aborted = queue.getBatch(5, { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(await aborted).toBeInstanceOf(AbortError);
    expect(clock.pendingTimers).toBe(0);
  });

  test("strict priority starves NORMAL under CRITICAL load; minNormalShare reserves room for it", async () => {
    const strict = new PriorityBatchQueue({ capacity: 100 });
    const guarded = new PriorityBatchQueue({ capacity: 100, minNormalShare: 0.2 });
    for (const queue of [strict, guarded]) {
      for (let i = 0; i < 50; i++) await queue.put(record(i, 99), Priority.critical);
      for (let i = 100; i < 110; i++) await queue.put(record(i), Priority.normal);
    }
    const normalIn = (batch: { priority: string }[] | undefined) =>
      batch?.filter((r) => r.priority === "NORMAL").length;
    expect(normalIn(await strict.getBatch(10))).toBe(0);
    expect(normalIn(await guarded.getBatch(10))).toBe(2);
    // An unused reservation goes back to CRITICAL.
    const fewNormal = new PriorityBatchQueue({ minNormalShare: 0.5 });
    for (let i = 0; i < 10; i++) await fewNormal.put(record(i, 99), Priority.critical);
    await fewNormal.put(record(50), Priority.normal);
    expect((await fewNormal.getBatch(10))?.map((r) => r.priority).filter((p) => p === "CRITICAL")).toHaveLength(9);
    expect(() => new PriorityBatchQueue({ minNormalShare: 1 })).toThrow(InvalidArgumentError);
  });
});

describe("PriorityBatchQueue.takeBatch", () => {
  test("caps the NORMAL records of a batch, and never waits", async () => {
    const queue = new PriorityBatchQueue({ minNormalShare: 0.5 });
    for (let i = 0; i < 3; i++) await queue.put(record(i, 99), Priority.critical);
    for (let i = 10; i < 20; i++) await queue.put(record(i), Priority.normal);
    expect(queue.takeBatch(6, 0).map((r) => r.seq)).toEqual([0, 1, 2]); // no room kept for NORMAL it may not take
    expect(queue.takeBatch(6, 2).map((r) => r.seq)).toEqual([10, 11]);
    expect(queue.stats()).toMatchObject({ criticalTaken: 3, normalTaken: 2, normal: 8 });
    expect(new PriorityBatchQueue().takeBatch(5)).toEqual([]);
  });
});
