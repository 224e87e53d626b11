import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { BoundedQueue } from "./bounded-queue.ts";
import { flushMicrotasks, ManualClock } from "./clock.ts";
import { AbortError, InvalidArgumentError, QueueClosedError, QueueTimeoutError } from "./errors.ts";

describe("BoundedQueue", () => {
  test("rejects a capacity that is not a positive integer", () => {
    expect(() => new BoundedQueue({ capacity: 0 })).toThrow(InvalidArgumentError);
    expect(() => new BoundedQueue({ capacity: 2.5 })).toThrow(InvalidArgumentError);
  });

  test("put waits while full and never grows past capacity", async () => {
    const queue = new BoundedQueue<number>({ capacity: 2 });
    await queue.put(1);
    await queue.put(2);
    let thirdAccepted = false;
    const third = queue.put(3).then(() => {
      thirdAccepted = true;
    });
    await flushMicrotasks();
    expect(thirdAccepted).toBe(false);
    expect(queue.size).toBe(2);
    expect(queue.stats().waitingProducers).toBe(1);

    expect(await queue.get()).toBe(1);
    await third;
    expect(thirdAccepted).toBe(true);
    expect(queue.size).toBe(2);
    expect(queue.takeUpTo(10)).toEqual([2, 3]);
  });

  test("get waits while empty and is woken by put", async () => {
    const queue = new BoundedQueue<string>({ capacity: 1 });
    const pending = queue.get();
    await flushMicrotasks();
    expect(queue.stats().waitingConsumers).toBe(1);
    await queue.put("a");
    expect(await pending).toBe("a");
    expect(queue.size).toBe(0);
  });

  test("close lets readers drain, then ends the stream", async () => {
    const queue = new BoundedQueue<number>({ capacity: 3 });
    await queue.put(1);
    await queue.put(2);
    queue.close();
    queue.close(); // idempotent
    expect(() => queue.tryPut(3)).toThrow(QueueClosedError);
    const seen: number[] = [];
    for await (const item of queue) seen.push(item);
    expect(seen).toEqual([1, 2]);
    expect(queue.drained).toBe(true);
    await expect(queue.get()).rejects.toBeInstanceOf(QueueClosedError);
  });

  test("close wakes waiting readers with end of stream and rejects waiting producers", async () => {
    const queue = new BoundedQueue<number>({ capacity: 1 });
    const reader = queue.poll();
    queue.close();
    expect(await reader).toEqual({ done: true, reason: "closed" });

    const full = new BoundedQueue<number>({ capacity: 1 });
    await full.put(1);
    const blocked = full.put(2);
    full.close();
    await expect(blocked).rejects.toBeInstanceOf(QueueClosedError);
    expect(full.takeUpTo(5)).toEqual([1]);
  });

  test("get with a timeout rejects with QueueTimeoutError on the injected clock", async () => {
    const clock = new ManualClock();
    const queue = new BoundedQueue<number>({ capacity: 1, clock });
    const read = queue.get({ timeoutMs: 100 });
    let settled = false;
    read.catch(() => {
      settled = true;
    });
    await clock.advance(99);
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(read).rejects.toBeInstanceOf(QueueTimeoutError);
    expect(queue.stats().waitingConsumers).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  test("a timeout of 0 does not wait, Infinity or 2^31 ms waits, NaN and negative ones are refused", async () => {
    const clock = new ManualClock();
    const queue = new BoundedQueue<number>({ capacity: 2, clock });
    expect(await queue.poll({ timeoutMs: 0 })).toEqual({ done: true, reason: "timeout" });
    for (const timeoutMs of [Number.POSITIVE_INFINITY, 2 ** 31]) {
      const read = queue.poll({ timeoutMs });
      await clock.advance(2 ** 31 - 1);
      await queue.put(7);
      expect(await read).toEqual({ done: false, value: 7 });
    }
    for (const timeoutMs of [Number.NaN, -1, Number.NEGATIVE_INFINITY, "5" as unknown as number]) {
      await expect(queue.poll({ timeoutMs })).rejects.toThrow("timeoutMs must be");
    }
    await queue.put(1);
    await expect(queue.get({ timeoutMs: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(queue.size).toBe(1); // refused before it took anything
  });

  test("an item that arrives before the timeout wins and cancels the timer", async () => {
    const clock = new ManualClock();
    const queue = new BoundedQueue<number>({ capacity: 1, clock });
    const read = queue.poll({ timeoutMs: 100 });
    await clock.advance(50);
    await queue.put(7);
    expect(await read).toEqual({ done: false, value: 7 });
    expect(clock.pendingTimers).toBe(0);
  });

  test("abort withdraws a waiting put or get", async () => {
    const queue = new BoundedQueue<number>({ capacity: 1 });
    await queue.put(1);
    const controller = new AbortController();
    const blockedPut = queue.put(2, { signal: controller.signal });
    const empty = new BoundedQueue<number>({ capacity: 1 });
    const blockedGet = empty.get({ signal: controller.signal });
    controller.abort();
    await expect(blockedPut).rejects.toBeInstanceOf(AbortError);
    await expect(blockedGet).rejects.toBeInstanceOf(AbortError);
    expect(queue.stats().waitingProducers).toBe(0);
    expect(empty.stats().waitingConsumers).toBe(0);
    expect(queue.takeUpTo(5)).toEqual([1]);
  });

  test("property: with concurrent producers and a consumer, every item arrives exactly once, in per-producer order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 4 }),
        async (capacity, producerLengths) => {
          const queue = new BoundedQueue<[number, number]>({ capacity });
          let maxSize = 0;
          const producers = producerLengths.map(async (length, producer) => {
            for (let i = 0; i < length; i++) {
              await queue.put([producer, i]);
              maxSize = Math.max(maxSize, queue.size);
            }
          });
          const received: [number, number][] = [];
          const consumer = (async () => {
            for await (const item of queue) received.push(item);
          })();
          await Promise.all(producers);
          queue.close();
          await consumer;
          expect(maxSize).toBeLessThanOrEqual(capacity);
          expect(received.length).toBe(producerLengths.reduce((a, b) => a + b, 0));
          producerLengths.forEach((length, producer) => {
            const mine = received.filter(([p]) => p === producer).map(([, i]) => i);
            expect(mine).toEqual(Array.from({ length }, (_, i) => i));
          });
        },
      ),
      { seed: 42, numRuns: 100 },
    );
  });

  test("takeUpTo takes the items of producers it admits in the same call, in order", async () => {
    const queue = new BoundedQueue<number>({ capacity: 2 });
    await queue.put(1);
    await queue.put(2);
    const third = queue.put(3);
    const fourth = queue.put(4);
    expect(queue.takeUpTo(3)).toEqual([1, 2, 3]);
    await third;
    expect(queue.size).toBe(1);
    await fourth;
    expect(queue.takeUpTo(10)).toEqual([4]);
    expect(queue.stats()).toMatchObject({ totalPut: 4, totalTaken: 4, waitingProducers: 0 });
  });
});
