/**
 * Tasks a worker has not started are not stuck behind one it cannot finish,
 * and a task whose input was transferred can still run again after its
 * worker died: the pool makes its input again through `reencode`.
 */
import { describe, expect, test } from "bun:test";
import { PoolClosedError, type RunOptions, WorkerCrashedError } from "@poolstream/core";
import { WorkerPool } from "../src/worker-pool.ts";
import { busy, echo, exitWorker, hang, hangAsync, sumAfter, throwAfterReturn } from "./fixtures/kernels.ts";
import { quick } from "./fixtures/slow-to-load.ts";

/** A task input of `n` ones in a buffer that is transferred, with or without a way to make it again. */
function transferred(n: number, ms: number, remake: boolean): [{ ms: number; values: Float64Array }, RunOptions] {
  const make = () => {
    const values = new Float64Array(n).fill(1);
    return { input: { ms, values }, transfer: [values.buffer] };
  };
  const first = make();
  return [first.input, remake ? { transfer: first.transfer, reencode: make } : { transfer: first.transfer }];
}

async function warm(pool: WorkerPool): Promise<void> {
  await Promise.all(Array.from({ length: pool.size }, (_, i) => pool.run(busy, 20).then(() => i)));
}

describe("tasks waiting behind a task that does not finish", () => {
  for (const [name, stuck] of [
    ["a synchronous infinite loop", hang],
    ["a promise that never settles", hangAsync],
  ] as const) {
    test(`move to a free worker, without a timeout: ${name}`, async () => {
      const pool = new WorkerPool({ size: 2, pipelineDepth: 2 });
      try {
        await warm(pool);
        const hung = pool.run(stuck, null).catch((e: unknown) => e); // worker 0
        const first = pool.run(busy, 30); // worker 1
        const behind = pool.run(echo, "behind the hung task"); // queued on worker 0, behind the hung one
        await first;
        expect(await behind).toBe("behind the hung task");
        expect(pool.stats().moved).toBeGreaterThanOrEqual(1);
        // The stuck worker is sent nothing more: everything after runs on the other one.
        const after = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(echo, i)));
        expect(after).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect(pool.stats()).toMatchObject({ inFlight: 1, pending: 0, crashes: 0, timeouts: 0 });
        await pool.destroy();
        expect(await hung).toBeInstanceOf(PoolClosedError);
      } finally {
        await pool.destroy();
      }
    });
  }

  test("a transferred input moves when it can be made again, and waits when it cannot", async () => {
    const pool = new WorkerPool({ size: 2, pipelineDepth: 2 });
    try {
      await warm(pool);
      const hung = pool.run(hang, null).catch((e: unknown) => e); // worker 0
      const first = pool.run(busy, 30); // worker 1
      const [input, options] = transferred(1000, 0, true);
      const movable = pool.run(sumAfter, input, options); // queued on worker 0
      expect(input.values.byteLength).toBe(0); // it was transferred, not copied
      await first;
      expect(await movable).toBe(1000);
      expect(pool.stats().moved).toBe(1);
      await pool.destroy();
      expect(await hung).toBeInstanceOf(PoolClosedError);
    } finally {
      await pool.destroy();
    }

    const second = new WorkerPool({ size: 2, pipelineDepth: 2 });
    try {
      await warm(second);
      const hung = second.run(hang, null).catch((e: unknown) => e);
      const first = second.run(busy, 30);
      const [input, options] = transferred(1000, 0, false);
      const unmovable = second.run(sumAfter, input, options).catch((e: unknown) => e);
      await first;
      await Bun.sleep(50);
      expect(second.stats()).toMatchObject({ moved: 0, inFlight: 2 });
      await second.destroy();
      expect(await unmovable).toBeInstanceOf(PoolClosedError);
      expect(await hung).toBeInstanceOf(PoolClosedError);
    } finally {
      await second.destroy();
    }
  });
});

describe("moving, and what a worker knows", () => {
  test("a task moved before its worker loaded its kernel: the next one sent there still has the start-up bound", async () => {
    await using pool = new WorkerPool({ size: 2, pipelineDepth: 2 });
    await warm(pool);
    const long = pool.run(busy, 250, { timeoutMs: 5_000 }); // worker 0
    const short = pool.run(busy, 20); // worker 1
    const moved = pool.run(quick, 1, { timeoutMs: 100 }); // on worker 0, with its kernel's address; moved to worker 1
    await short;
    expect(await moved).toBe(2);
    expect(pool.stats().moved).toBe(1);
    await long;
    // Worker 0 never loaded quick's module (150 ms to import): loading it there is start-up, not the 100 ms task.
    expect(await Promise.all([pool.run(quick, 2, { timeoutMs: 100 }), pool.run(quick, 3, { timeoutMs: 100 })])).toEqual(
      [3, 4],
    );
    expect(pool.stats()).toMatchObject({ timeouts: 0, crashes: 0 });
  });

  test("tasks a healthy worker holds behind a short task are not moved", async () => {
    await using pool = new WorkerPool({ size: 2, pipelineDepth: 2 });
    await warm(pool);
    // Three at a time on two workers: one always waits behind another, while the other worker may be idle.
    for (let round = 0; round < 30; round++) {
      await Promise.all([pool.run(busy, 2), pool.run(busy, 2), pool.run(echo, round)]);
    }
    expect(pool.stats().moved).toBe(0);
  });
});

describe("a transferred input after its worker died", () => {
  test("an innocent task is run again with its input made again, and succeeds", async () => {
    await using pool = new WorkerPool({ size: 1, pipelineDepth: 2 });
    await pool.run(busy, 1); // the fixture module is loaded
    const culprit = pool.run(throwAfterReturn, 20);
    const [input, options] = transferred(500, 150, true);
    const innocent = pool.run(sumAfter, input, options); // running (waiting) when the timer throws
    expect(await culprit).toBe("returned");
    expect(await innocent).toBe(500);
    expect(pool.stats()).toMatchObject({ crashes: 1, interrupted: 1, failed: 0, workersStarted: 2 });
  });

  test("tasks waiting behind a crash are sent again with their inputs made again; without a way, they fail", async () => {
    await using pool = new WorkerPool({ size: 1, pipelineDepth: 3 });
    await pool.run(busy, 1);
    const crashing = pool.run(exitWorker, 5).catch((e: unknown) => e);
    const [remadeInput, remade] = transferred(10, 0, true);
    const [lostInput, lost] = transferred(10, 0, false);
    const waitingRemade = pool.run(sumAfter, remadeInput, remade);
    const waitingLost = pool.run(sumAfter, lostInput, lost).catch((e: unknown) => e);
    expect(await crashing).toBeInstanceOf(WorkerCrashedError);
    expect(await waitingRemade).toBe(10);
    expect(await waitingLost).toBeInstanceOf(WorkerCrashedError);
  });

  test("a task that crashes its worker twice is reported as crashed, having run alone on a fresh worker", async () => {
    await using pool = new WorkerPool({ size: 2, pipelineDepth: 2 });
    await warm(pool);
    const buffer = new ArrayBuffer(8);
    const reencode = () => ({ input: 9, transfer: [new ArrayBuffer(8)] });
    const crashing = pool.run(exitWorker, 9, { transfer: [buffer], reencode }).catch((e: unknown) => e);
    const others = Array.from({ length: 8 }, (_, i) => pool.run(echo, i));
    const error = await crashing;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as WorkerCrashedError).exitCode).toBe(9);
    expect(await Promise.all(others)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(pool.stats()).toMatchObject({ crashes: 2, interrupted: 1, failed: 0 });
    expect(buffer.byteLength).toBe(0); // transferred the first time
  });
});
