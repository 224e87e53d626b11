import { describe, expect, test } from "bun:test";
import { type BatchTransport, objectTransport, runBatch } from "./batch-transport.ts";
import type { Executor, TaskTiming } from "./executor.ts";
import { InProcessExecutor } from "./in-process-executor.ts";
import { defineKernel } from "./kernel.ts";

export const sumAll = defineKernel(import.meta.url, "sumAll", (batch: readonly number[]) => {
  spin(5); // the kernel's own cost
  return [batch.reduce((a, b) => a + b, 0)];
});

function spin(ms: number): void {
  const start = performance.now();
  while (performance.now() - start < ms) {
    // hold the thread: the point is to take time
  }
}

describe("a batch's own cost", () => {
  test("the in-process executor measures its kernel's running time", async () => {
    const executor = new InProcessExecutor();
    const timing: TaskTiming = {};
    expect(await executor.run(sumAll, [1, 2, 3], { timing })).toEqual([6]);
    expect(timing.costMs ?? 0).toBeGreaterThanOrEqual(5);
    expect(timing.costMs ?? Number.POSITIVE_INFINITY).toBeLessThan(1000);
    expect((timing.finishedAtMs ?? 0) - (timing.startedAtMs ?? 0)).toBeCloseTo(timing.costMs ?? 0, 2);
  });

  test("runBatch adds the transport's encoding and decoding to what the executor measured", async () => {
    const executor = new InProcessExecutor();
    const slowWire: BatchTransport<number, readonly number[], number[], number> = {
      ...objectTransport(sumAll),
      encode: (batch) => {
        spin(10);
        return { input: batch };
      },
      decode: (output) => {
        spin(10);
        return output[0] as number;
      },
    };
    const timing: TaskTiming = {};
    expect(await runBatch(executor, slowWire, [1, 2], { timing })).toBe(3);
    expect(timing.costMs ?? 0).toBeGreaterThanOrEqual(25);
    expect(timing.costMs ?? Number.POSITIVE_INFINITY).toBeLessThan(1000);
  });

  test("an executor that measures nothing leaves the timing as it was", async () => {
    const inner = new InProcessExecutor();
    // A remote backend, say: it runs the task but cannot tell what the task itself cost.
    const forgetful: Executor = {
      capacity: 1,
      run: (kernel, input) => inner.run(kernel, input),
      close: () => inner.close(),
      stats: () => inner.stats(),
      [Symbol.asyncDispose]: () => inner.close(),
    };
    const timing: TaskTiming = {};
    await runBatch(forgetful, objectTransport(sumAll), [1], { timing });
    expect(timing).toEqual({});
  });
});
