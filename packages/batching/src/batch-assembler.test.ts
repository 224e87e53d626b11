import { describe, expect, test } from "bun:test";
import { BoundedQueue, InvalidArgumentError, ManualClock } from "@poolstream/core";
import fc from "fast-check";
import { BatchAssembler } from "./batch-assembler.ts";

async function drain<T>(batches: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

describe("BatchAssembler", () => {
  test("cuts exact sizes and flushes the remainder at end of stream", async () => {
    const queue = new BoundedQueue<number>({ capacity: 100 });
    for (let i = 0; i < 37; i++) await queue.put(i);
    queue.close();
    const assembler = new BatchAssembler();
    const batches = await drain(assembler.assemble(queue, 15, 1));
    expect(batches.map((b) => b.length)).toEqual([15, 15, 7]);
    expect(batches.flat()).toEqual(Array.from({ length: 37 }, (_, i) => i));
    expect(assembler.stats()).toEqual({ fullBatches: 2, partialBatches: 1, records: 37 });
  });

  test("flushes a smaller batch after maxWaitSec with no new record, on the injected clock", async () => {
    const clock = new ManualClock();
    const queue = new BoundedQueue<number>({ capacity: 10, clock });
    const assembler = new BatchAssembler();
    const batches: number[][] = [];
    const done = (async () => {
      for await (const batch of assembler.assemble(queue, 5, 0.2)) batches.push(batch);
    })();
    await queue.put(1);
    await clock.advance(150);
    await queue.put(2);
    await clock.advance(150); // only 150 ms since the last record: no flush yet
    expect(batches).toEqual([]);
    await clock.advance(50);
    expect(batches).toEqual([[1, 2]]);
    // Quiet with nothing held: never an empty batch, however long.
    await clock.advance(5000);
    expect(batches).toEqual([[1, 2]]);
    queue.close();
    await done;
    expect(batches).toEqual([[1, 2]]);
    expect(clock.pendingTimers).toBe(0);
  });

  test("an empty closed queue yields no batch", async () => {
    const queue = new BoundedQueue<number>({ capacity: 1 });
    queue.close();
    expect(await drain(new BatchAssembler().assemble(queue, 3, 1))).toEqual([]);
  });

  test("rejects a batch size that is not a positive integer", async () => {
    const queue = new BoundedQueue<number>({ capacity: 1 });
    await expect(drain(new BatchAssembler().assemble(queue, 0, 1))).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  test("property: batches are never empty, never over size, all full but the last, and keep order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 40 }), async (count, size) => {
        const queue = new BoundedQueue<number>({ capacity: 8 });
        const producer = (async () => {
          for (let i = 0; i < count; i++) await queue.put(i);
          queue.close();
        })();
        const batches = await drain(new BatchAssembler().assemble(queue, size, 60));
        await producer;
        expect(batches.flat()).toEqual(Array.from({ length: count }, (_, i) => i));
        batches.forEach((batch, index) => {
          expect(batch.length).toBeGreaterThan(0);
          if (index < batches.length - 1) expect(batch.length).toBe(size);
          else expect(batch.length).toBeLessThanOrEqual(size);
        });
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});
