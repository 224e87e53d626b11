/**
 * Requests sent to a thread worker in one turn share a message, and the
 * answers of quick tasks come back together (see `internal/outbox.ts` and
 * `internal/worker-entry.ts`). What must hold whatever travels together:
 * every task its own outcome, in order; an input or an output that cannot be
 * cloned fails only its own task; and a task that crashes or hangs is the
 * only one blamed, even when answers before it were held.
 */
import { describe, expect, test } from "bun:test";
import { InvalidArgumentError, TaskFailedError, TaskTimeoutError, WorkerCrashedError } from "@poolstream/core";
import { WorkerPool } from "../src/worker-pool.ts";
import { echo, quickOr, returnsFunction } from "./fixtures/kernels.ts";

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/** Runs `quickOr` enough times on every worker that each knows it for a quick kernel. */
async function warm(pool: WorkerPool): Promise<void> {
  await Promise.all(Array.from({ length: 40 }, (_, value) => pool.run(quickOr, { value })));
}

describe("requests sent together", () => {
  test("3,000 tasks submitted at once each answer with their own output", async () => {
    await using pool = new WorkerPool({ size: 2, sharedMemory: false });
    const outputs = await Promise.all(Array.from({ length: 3000 }, (_, i) => pool.run(echo, { i, tag: `t${i}` })));
    expect(outputs).toEqual(Array.from({ length: 3000 }, (_, i) => ({ i, tag: `t${i}` })));
    expect(pool.stats()).toMatchObject({ completed: 3000, failed: 0, crashes: 0 });
  });

  test("an input that cannot be cloned fails only its own task, even the first of its kernel", async () => {
    await using pool = new WorkerPool({ size: 1 });
    // The first request carries the kernel's address; it cannot go, so the next one carries it.
    const results = await Promise.all([
      settle(pool.run(echo, { f: () => 1 })),
      ...Array.from({ length: 5 }, (_, i) => settle(pool.run(echo, i))),
      settle(pool.run(echo, Symbol("no"))),
      settle(pool.run(echo, 5)),
    ]);
    expect(results[0]?.ok).toBe(false);
    expect((results[0] as { error: unknown }).error).toBeInstanceOf(InvalidArgumentError);
    expect(results.slice(1, 6)).toEqual([0, 1, 2, 3, 4].map((value) => ({ ok: true, value })));
    expect((results[6] as { error: unknown }).error).toBeInstanceOf(InvalidArgumentError);
    expect(results[7]).toEqual({ ok: true, value: 5 });
    expect(pool.stats()).toMatchObject({ completed: 6, failed: 2, crashes: 0 });
    expect(await pool.run(echo, "after")).toBe("after");
  });

  test("an output that cannot be cloned among held answers fails only its own task", async () => {
    await using pool = new WorkerPool({ size: 1 });
    await Promise.all([pool.run(echo, 0), settle(pool.run(returnsFunction, null))]); // both kernels known, and quick
    const results = await Promise.all([
      settle(pool.run(echo, 1)),
      settle(pool.run(returnsFunction, null)),
      settle(pool.run(echo, 2)),
    ]);
    expect(results[0]).toEqual({ ok: true, value: 1 });
    expect((results[1] as { error: unknown }).error).toBeInstanceOf(TaskFailedError);
    expect(results[2]).toEqual({ ok: true, value: 2 });
    expect(pool.stats().crashes).toBe(0);
  });

  test("a quick kernel's task that kills its worker is the one blamed; the answer held before it is not lost", async () => {
    await using pool = new WorkerPool({ size: 1 });
    await warm(pool);
    const before = settle(pool.run(quickOr, { value: 1 }));
    const killer = settle(pool.run(quickOr, { value: 2, afterwards: "exit" }));
    const after = settle(pool.run(quickOr, { value: 3 }));
    expect(await before).toEqual({ ok: true, value: 1 });
    const killed = await killer;
    expect(killed.ok).toBe(false);
    expect((killed as { error: unknown }).error).toBeInstanceOf(WorkerCrashedError);
    expect(await after).toEqual({ ok: true, value: 3 });
    // Once as sent, once alone on a fresh worker: had the task before it been blamed, it would be three.
    expect(pool.stats()).toMatchObject({ crashes: 2, interrupted: 1 });
  });

  test("answers are sent before a task with a timeout starts, so a hang is timed and blamed on itself", async () => {
    await using pool = new WorkerPool({ size: 1 });
    await warm(pool);
    const before = settle(pool.run(quickOr, { value: 1 }));
    const hung = settle(pool.run(quickOr, { value: 2, afterwards: "hang" }, { timeoutMs: 200 }));
    const after = settle(pool.run(quickOr, { value: 3 }));
    expect(await before).toEqual({ ok: true, value: 1 });
    const timedOut = await hung;
    expect((timedOut as { error: unknown }).error).toBeInstanceOf(TaskTimeoutError);
    expect(await after).toEqual({ ok: true, value: 3 });
    expect(pool.stats()).toMatchObject({ timeouts: 1, crashes: 0 });
  });

  test("the answer of a task with a timeout is not held: it arrives while the next task hangs", async () => {
    const pool = new WorkerPool({ size: 1 });
    await warm(pool);
    const timed = settle(pool.run(quickOr, { value: 1 }, { timeoutMs: 5_000 }));
    const hung = settle(pool.run(quickOr, { value: 2, afterwards: "hang" }));
    expect(await timed).toEqual({ ok: true, value: 1 });
    await pool.destroy();
    expect((await hung).ok).toBe(false);
  });
});
