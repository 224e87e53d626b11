/**
 * The shared-memory transport: columnar batches copied into a worker's ring
 * of slots and answered there. Each behaviour is checked with both ways the
 * pool learns of answers (`Atomics.waitAsync`, and the message doorbell).
 */
import { describe, expect, test } from "bun:test";
import {
  allocateColumnarBatch,
  type ColumnarBatch,
  columnarTransport,
  createRandom,
  encodeColumnar,
  InvalidArgumentError,
  objectTransport,
  PoolClosedError,
  runBatch,
  SensorInterner,
  type SensorRecord,
  TaskFailedError,
  TaskTimeoutError,
  WorkerCrashedError,
} from "@poolstream/core";
import fc from "fast-check";
import { WorkerPool } from "../src/worker-pool.ts";
import { columnBytes, columnSummary, doubleOrMisbehave, echo } from "./fixtures/kernels.ts";

const completions = ["wait-async", "message"] as const;

/** A batch whose every byte is drawn from `random`: any bit pattern, NaN payloads and subnormals included. */
function randomBatch(length: number, random: () => number): ColumnarBatch {
  const batch = allocateColumnarBatch(length);
  const bytes = new Uint8Array(batch.buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  return batch;
}

/** Doubles, with the values a float column must keep exactly. */
const specialValue = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, Number.MIN_VALUE, -5e-324),
  fc.double({ min: -2.2250738585072014e-308, max: 2.2250738585072014e-308 }),
);

function records(values: readonly number[]): SensorRecord[] {
  return values.map((value, i) => ({ sensorId: `s${i % 5}`, seq: i, value, timestamp: 1000 + i, createdAt: i / 3 }));
}

for (const completion of completions) {
  describe(`shared-memory transport (${completion})`, () => {
    test("every byte of a batch goes in and comes back exactly, in a slot or, past its size, as transferred columns", async () => {
      // 4 KiB slots: a batch of up to 55 records and its bytes back fit; larger ones travel by message.
      await using pool = new WorkerPool({ size: 2, sharedMemory: { slotBytes: 4096, completion } });
      let seed = 1;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 12 }), async (sizes) => {
          const random = createRandom(seed++);
          const batches = sizes.map((size) => randomBatch(size, random));
          const expected = batches.map((batch) => new Uint8Array(batch.buffer.slice(0)));
          const outputs = await Promise.all(batches.map((batch) => pool.run(columnBytes, batch)));
          expect(outputs).toEqual(expected);
        }),
        { numRuns: 40 },
      );
      const { sharedMemory, transferred } = pool.transportStats();
      expect(sharedMemory).toBeGreaterThan(100);
      expect(transferred).toBeGreaterThan(50); // the batches over a slot, and each worker's first batch
    });

    test("special values survive the ring: NaN, ±Infinity, -0, subnormals", async () => {
      await using pool = new WorkerPool({ size: 2, sharedMemory: { completion } });
      const interner = new SensorInterner();
      await pool.run(columnBytes, encodeColumnar(records([1]), interner)); // each worker's first batch carries the kernel's address
      await pool.run(columnBytes, encodeColumnar(records([1]), interner));
      await fc.assert(
        fc.asyncProperty(fc.array(specialValue, { minLength: 1, maxLength: 300 }), async (values) => {
          const batch = encodeColumnar(records(values), interner);
          const expected = new Uint8Array(batch.buffer.slice(0));
          expect(await pool.run(columnBytes, batch)).toEqual(expected);
          // The batch stays usable here: it was copied, not transferred.
          expect(Object.is(batch.value[0], values[0])).toBe(true);
        }),
        { numRuns: 100 },
      );
      expect(pool.transportStats().sharedMemory).toBeGreaterThanOrEqual(100);
    });

    test("gives the same results as transferred columns and as record objects", async () => {
      await using ring = new WorkerPool({ size: 2, sharedMemory: { completion } });
      await using transferred = new WorkerPool({ size: 2, sharedMemory: false });
      const random = createRandom(42);
      const batches = Array.from({ length: 60 }, (_, b) =>
        records(Array.from({ length: 1 + (b % 17) * 13 }, () => (random() - 0.5) * 1e6)),
      );
      const double = (batch: readonly SensorRecord[]) => Float64Array.from(batch, (record) => record.value * 2);
      const viaRing = await Promise.all(
        batches.map((batch) => runBatch(ring, columnarTransport(doubleOrMisbehave), batch)),
      );
      const viaTransfer = await Promise.all(
        batches.map((batch) => runBatch(transferred, columnarTransport(doubleOrMisbehave), batch)),
      );
      const viaObjects = await Promise.all(
        batches.map(async (batch) => double((await runBatch(ring, objectTransport(echo), batch)) as SensorRecord[])),
      );
      expect(viaRing).toEqual(viaTransfer);
      expect(viaRing).toEqual(viaObjects);
      expect(ring.transportStats().sharedMemory).toBeGreaterThanOrEqual(58);
      expect(transferred.transportStats()).toEqual({ sharedMemory: 0, transferred: 60 });
    });

    test("an output that is not a typed array, and a kernel's error, come back by message in their turn", async () => {
      await using pool = new WorkerPool({ size: 1, sharedMemory: { completion } });
      const interner = new SensorInterner();
      const batchOf = (timestamp: number, seq: number) =>
        encodeColumnar([{ sensorId: "a", seq, value: seq, timestamp, createdAt: 0 }], interner);
      await pool.run(doubleOrMisbehave, batchOf(0, 0));
      await pool.run(columnSummary, batchOf(0, 0));
      const order: string[] = [];
      const runs = [
        pool.run(doubleOrMisbehave, batchOf(0, 1)).then((out) => order.push(`double ${out[0]}`)),
        pool.run(columnSummary, batchOf(0, 2)).then((out) => order.push(`summary ${out.first}`)),
        pool.run(doubleOrMisbehave, batchOf(2, 3)).catch((error: unknown) => {
          expect(error).toBeInstanceOf(TaskFailedError);
          expect((error as TaskFailedError).message).toContain("batch 3 throws");
          order.push("error 3");
        }),
        pool.run(doubleOrMisbehave, batchOf(0, 4)).then((out) => order.push(`double ${out[0]}`)),
      ];
      await Promise.all(runs);
      expect(order).toEqual(["double 2", "summary 2", "error 3", "double 8"]);
      expect(pool.transportStats().sharedMemory).toBeGreaterThanOrEqual(4);
    });

    test("random kills and hangs over thousands of batches: every batch settles once, with its own output", async () => {
      await using pool = new WorkerPool({ size: 2, taskTimeoutMs: 500, sharedMemory: { completion } });
      const random = createRandom(completion === "message" ? 7 : 11);
      const interner = new SensorInterner();
      const plan = Array.from({ length: 2000 }, (_, b) => {
        const roll = random();
        const misbehaviour = roll < 0.006 ? 1 : roll < 0.012 ? 2 : roll < 0.014 ? 3 : 0;
        const length = 1 + Math.floor(random() * 120);
        const values = Array.from({ length }, () => random() * 1000);
        return { b, misbehaviour, values };
      });
      const settled = new Array<number>(plan.length).fill(0);
      const outcomes = await Promise.all(
        plan.map(({ b, misbehaviour, values }) => {
          const batch = encodeColumnar(
            values.map((value, i) => ({
              sensorId: "s",
              seq: b,
              value,
              timestamp: i === 0 ? misbehaviour : 9,
              createdAt: 0,
            })),
            interner,
          );
          return pool.run(doubleOrMisbehave, batch).then(
            (output) => {
              settled[b] = (settled[b] ?? 0) + 1;
              return output;
            },
            (error: unknown) => {
              settled[b] = (settled[b] ?? 0) + 1;
              return error as Error;
            },
          );
        }),
      );
      expect(settled.every((count) => count === 1)).toBe(true);
      for (const [index, { misbehaviour, values }] of plan.entries()) {
        const outcome = outcomes[index];
        if (misbehaviour === 0) expect(outcome).toEqual(Float64Array.from(values, (value) => value * 2));
        if (misbehaviour === 1) expect(outcome).toBeInstanceOf(WorkerCrashedError);
        if (misbehaviour === 2) expect(outcome).toBeInstanceOf(TaskFailedError);
        if (misbehaviour === 3) expect(outcome).toBeInstanceOf(TaskTimeoutError);
      }
      const kills = plan.filter((entry) => entry.misbehaviour === 1).length;
      const hangs = plan.filter((entry) => entry.misbehaviour === 3).length;
      expect(kills).toBeGreaterThan(5);
      expect(hangs).toBeGreaterThan(1);
      const stats = pool.stats();
      // A batch that kills its worker is tried once more, alone, on a fresh worker, so it kills two.
      expect(stats.crashes).toBe(2 * kills);
      expect(stats.timeouts).toBe(hangs);
      expect(pool.transportStats().sharedMemory).toBeGreaterThan(1500);
    }, 60_000);

    test("batches taken back from a worker (moved off a slow one, or overtaken by an urgent one) run once, elsewhere or later, and free their slots", async () => {
      await using pool = new WorkerPool({ size: 2, pipelineDepth: 4, sharedMemory: { completion } });
      const interner = new SensorInterner();
      const batchOf = (seq: number, order = 0) =>
        encodeColumnar([{ sensorId: "a", seq, value: seq, timestamp: order, createdAt: 0 }], interner);
      await Promise.all([pool.run(doubleOrMisbehave, batchOf(0)), pool.run(doubleOrMisbehave, batchOf(0))]);
      // A slow batch, then seven quick ones: those queued behind the slow one move to the other worker.
      const moved = [pool.run(doubleOrMisbehave, batchOf(1, 4))];
      for (let seq = 2; seq <= 8; seq++) moved.push(pool.run(doubleOrMisbehave, batchOf(seq)));
      expect((await Promise.all(moved)).map((out) => out[0])).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
      expect(pool.stats().moved).toBeGreaterThan(0);

      // One worker: a backlog of 20 slow batches (100 ms each, so that a main thread held up for a while by a
      // loaded machine still finds most of them waiting), then an urgent batch, which overtakes them.
      await using single = new WorkerPool({ size: 1, backlogDepth: 16, sharedMemory: { completion } });
      await single.run(doubleOrMisbehave, batchOf(0));
      const order: number[] = [];
      const backlog: Promise<number>[] = [];
      for (let seq = 1; seq <= 20; seq++)
        backlog.push(single.run(doubleOrMisbehave, batchOf(seq, 5)).then(() => order.push(seq)));
      await Bun.sleep(30);
      const urgent = single
        .run(doubleOrMisbehave, batchOf(100), { priority: "urgent" })
        .then((out) => order.push(out[0] as number));
      await Promise.all([...backlog, urgent]);
      expect(order.indexOf(200)).toBeLessThanOrEqual(2);
      expect(order.filter((seq) => seq !== 200)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

      // Every slot came back: a run as long as the slots are many still goes through shared memory.
      const before = single.transportStats();
      await Promise.all(Array.from({ length: 64 }, (_, i) => single.run(doubleOrMisbehave, batchOf(i))));
      expect(single.transportStats().sharedMemory - before.sharedMemory).toBe(64);
      expect(single.transportStats().transferred).toBe(before.transferred);
    });

    test("close() with batches in the ring drains them; destroy() rejects them; both leave no worker running", async () => {
      const interner = new SensorInterner();
      const batch = () => encodeColumnar(records([1, 2, 3]), interner);
      const pool = new WorkerPool({ size: 2, sharedMemory: { completion } });
      await Promise.all([pool.run(doubleOrMisbehave, batch()), pool.run(doubleOrMisbehave, batch())]);
      const drained = Array.from({ length: 300 }, () => pool.run(doubleOrMisbehave, batch()));
      await pool.close();
      expect(await Promise.all(drained)).toEqual(Array.from({ length: 300 }, () => new Float64Array([2, 4, 6])));
      expect(pool.stats().workers).toBe(0);

      const destroyed = new WorkerPool({ size: 2, sharedMemory: { completion } });
      await Promise.all([destroyed.run(doubleOrMisbehave, batch()), destroyed.run(doubleOrMisbehave, batch())]);
      const rejected = Array.from({ length: 300 }, () =>
        destroyed.run(doubleOrMisbehave, batch()).catch((e: unknown) => e),
      );
      await destroyed.destroy();
      const outcomes = await Promise.all(rejected);
      // Each either answered before the workers ended or was rejected; none is left hanging.
      for (const outcome of outcomes) {
        if (!(outcome instanceof Float64Array)) expect(outcome).toBeInstanceOf(PoolClosedError);
      }
      expect(outcomes.some((outcome) => outcome instanceof PoolClosedError)).toBe(true);
      expect(destroyed.stats().workers).toBe(0);
    });
  });
}

describe("shared-memory options", () => {
  test("bad settings are refused with a typed error, and false turns the transport off", () => {
    for (const slotBytes of [0, -8, 1000, 1028.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 1023]) {
      expect(() => new WorkerPool({ size: 1, sharedMemory: { slotBytes } })).toThrow(InvalidArgumentError);
    }
    expect(() => new WorkerPool({ size: 1, sharedMemory: { completion: "poll" as "message" } })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new WorkerPool({ size: 1, sharedMemory: 3 as unknown as boolean })).toThrow(InvalidArgumentError);
  });

  test("the settings in use are readable; off, every columnar batch is transferred", async () => {
    await using on = new WorkerPool({ size: 1 });
    expect(on.sharedMemory).toEqual({ slotBytes: 128 * 1024, completion: "wait-async" });
    await using off = new WorkerPool({ size: 1, sharedMemory: false });
    expect(off.sharedMemory).toBeUndefined();
    const interner = new SensorInterner();
    for (let i = 0; i < 3; i++) await off.run(doubleOrMisbehave, encodeColumnar(records([i]), interner));
    expect(off.transportStats()).toEqual({ sharedMemory: 0, transferred: 3 });
  });
});
