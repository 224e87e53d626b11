import { describe, expect, test } from "bun:test";
import {
  AbortError,
  InvalidArgumentError,
  PoolClosedError,
  TaskFailedError,
  TaskTimeoutError,
  type TaskTiming,
  WorkerCrashedError,
  WorkerStartupError,
} from "@poolstream/core";
import { WorkerPool } from "../src/worker-pool.ts";
import {
  asyncDouble,
  busy,
  echo,
  exitWorker,
  fail,
  hang,
  misnamed,
  returnsFunction,
  sleepThenReturn,
  throwAfterReturn,
  throwLater,
} from "./fixtures/kernels.ts";
import { quick } from "./fixtures/slow-to-load.ts";
import { slowStarter } from "./fixtures/very-slow-to-load.ts";

describe("WorkerPool", () => {
  test("runs a kernel on a worker and returns its output", async () => {
    await using pool = new WorkerPool({ size: 2 });
    expect(await pool.run(echo, { a: [1, 2, 3] })).toEqual({ a: [1, 2, 3] });
    expect(await pool.run(asyncDouble, 21)).toBe(42);
    expect(pool.stats().completed).toBe(2);
  });

  test("work runs in parallel on separate workers", async () => {
    await using pool = new WorkerPool({ size: 2, pipelineDepth: 1 });
    await Promise.all([pool.run(echo, 0), pool.run(echo, 0)]); // warm both workers
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const [a, b] = await Promise.all([pool.run(busy, 300), pool.run(busy, 300)]);
    clearInterval(ticker);
    // The event loop stayed free while the workers computed (30 ticks expected; generous bound).
    expect(ticks).toBeGreaterThanOrEqual(5);
    // Both ran 300 ms; in parallel their intervals overlap. Generous: any overlap at all.
    expect(a.start < b.end && b.start < a.end).toBe(true);
  });

  test("a task that throws rejects with a typed TaskFailedError carrying the remote error as data", async () => {
    await using pool = new WorkerPool({ size: 1 });
    const error = await pool.run(fail, "bad input").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    const failed = error as TaskFailedError;
    expect(failed.remoteName).toBe("RangeError");
    expect(failed.remoteCode).toBe("E_FIXTURE");
    expect(failed.message).toContain("bad input");
    expect(failed.remoteStack).toContain("kernels.ts");
    // The worker is fine afterwards.
    expect(await pool.run(echo, 1)).toBe(1);
    expect(pool.stats()).toMatchObject({ crashes: 0, failed: 1 });
  });

  test("an output that cannot be cloned and a misnamed kernel fail as tasks, not crashes", async () => {
    await using pool = new WorkerPool({ size: 1 });
    await expect(pool.run(returnsFunction, null)).rejects.toBeInstanceOf(TaskFailedError);
    const misnamedError = await pool.run(misnamed, 1).catch((e: unknown) => e);
    expect(misnamedError).toBeInstanceOf(TaskFailedError);
    expect((misnamedError as Error).message).toContain("noSuchExport");
    await expect(pool.run(((x: number) => x) as unknown as typeof echo, 1)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(pool.stats().crashes).toBe(0);
  });

  test("process.exit in a worker rejects only its own task with WorkerCrashedError; the replacement works", async () => {
    await using pool = new WorkerPool({ size: 2, pipelineDepth: 2 });
    const others = Array.from({ length: 6 }, (_, i) => pool.run(busy, 20).then(() => i));
    const crashing = pool.run(exitWorker, 7).catch((e: unknown) => e);
    const after = Array.from({ length: 6 }, (_, i) => pool.run(echo, i));
    const error = await crashing;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as WorkerCrashedError).exitCode).toBe(7);
    expect(await Promise.all(others)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await Promise.all(after)).toEqual([0, 1, 2, 3, 4, 5]);
    // It was run once more (it might have been innocent), and it killed that worker too.
    expect(pool.stats()).toMatchObject({ crashes: 2, interrupted: 1, workers: 2, workersStarted: 4 });
  });

  test("an error a previous task left behind is not blamed on the task running when it kills the worker", async () => {
    await using pool = new WorkerPool({ size: 1, pipelineDepth: 2 });
    await pool.run(busy, 1); // the fixture module is loaded
    const culprit = pool.run(throwAfterReturn, 20);
    const innocent = pool.run(sleepThenReturn, 150); // running (waiting) when the timer throws
    expect(await culprit).toBe("returned");
    expect(await innocent).toBe(150);
    expect(pool.stats()).toMatchObject({ crashes: 1, interrupted: 1, failed: 0, workersStarted: 2 });
  });

  test("a task whose input was transferred is not run again: its buffers went with the dead worker", async () => {
    await using pool = new WorkerPool({ size: 1 });
    const buffer = new ArrayBuffer(8);
    const error = await pool.run(exitWorker, 3, { transfer: [buffer] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(pool.stats()).toMatchObject({ crashes: 1, interrupted: 0 });
  });

  test("an uncaught error thrown asynchronously in a worker is a crash of that task only", async () => {
    await using pool = new WorkerPool({ size: 1, pipelineDepth: 2 });
    const crashing = pool.run(throwLater, "async boom").catch((e: unknown) => e);
    const queuedBehind = pool.run(echo, "still here");
    const error = await crashing;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toContain("async boom");
    expect(await queuedBehind).toBe("still here");
  });

  test("a task past its timeout is failed with TaskTimeoutError and its worker replaced", async () => {
    await using pool = new WorkerPool({ size: 1, pipelineDepth: 2 });
    const hung = pool.run(hang, null, { timeoutMs: 200 }).catch((e: unknown) => e);
    const queuedBehind = pool.run(echo, "next");
    expect(await hung).toBeInstanceOf(TaskTimeoutError);
    expect(await queuedBehind).toBe("next");
    expect(pool.stats()).toMatchObject({ timeouts: 1, workers: 1 });
  });

  test("urgent tasks are dispatched before normal ones that are still waiting", async () => {
    await using pool = new WorkerPool({ size: 1, pipelineDepth: 1 });
    const order: string[] = [];
    const blocker = pool.run(busy, 100);
    const normal = [1, 2, 3].map((i) => pool.run(echo, `n${i}`).then((v) => order.push(String(v))));
    const urgent = pool.run(echo, "u").then((v) => order.push(String(v)));
    await Promise.all([blocker, ...normal, urgent]);
    expect(order).toEqual(["n1", "n2", "n3", "u"]);
    order.length = 0;
    const blocker2 = pool.run(busy, 100);
    const normal2 = [1, 2, 3].map((i) => pool.run(echo, `n${i}`).then((v) => order.push(String(v))));
    const urgent2 = pool.run(echo, "u", { priority: "urgent" }).then((v) => order.push(String(v)));
    await Promise.all([blocker2, ...normal2, urgent2]);
    expect(order).toEqual(["u", "n1", "n2", "n3"]);
  });

  test("abort withdraws a waiting task", async () => {
    await using pool = new WorkerPool({ size: 1, pipelineDepth: 1 });
    const blocker = pool.run(busy, 100);
    const controller = new AbortController();
    const withdrawn = pool.run(echo, 1, { signal: controller.signal });
    controller.abort();
    await expect(withdrawn).rejects.toBeInstanceOf(AbortError);
    await blocker;
    expect(pool.stats()).toMatchObject({ pending: 0, inFlight: 0 });
  });

  test("close drains accepted work, is idempotent, and refuses new work", async () => {
    const pool = new WorkerPool({ size: 2 });
    const accepted = Array.from({ length: 8 }, (_, i) => pool.run(busy, 10).then(() => i));
    const first = pool.close();
    const second = pool.close();
    expect(second).toBe(first);
    await first;
    expect(await Promise.all(accepted)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await expect(pool.run(echo, 1)).rejects.toBeInstanceOf(PoolClosedError);
    expect(pool.stats()).toMatchObject({ workers: 0, inFlight: 0, pending: 0, completed: 8 });
    await pool.close();
  });

  test("close past its timeout rejects what is left with PoolClosedError and still terminates", async () => {
    const pool = new WorkerPool({ size: 1, closeTimeoutMs: 100 });
    const stuck = pool.run(hang, null).catch((e: unknown) => e);
    const waiting = pool.run(echo, 1).catch((e: unknown) => e);
    await pool.close();
    expect(await stuck).toBeInstanceOf(PoolClosedError);
    expect(await waiting).toBeInstanceOf(PoolClosedError);
    expect(pool.stats().workers).toBe(0);
  });

  test("each task's own timing: inside its submission-to-result span, without its wait behind another task", async () => {
    await using pool = new WorkerPool({ size: 1, pipelineDepth: 2 });
    await pool.run(echo, 0); // the worker is up and the fixture module loaded
    const epochNow = () => performance.timeOrigin + performance.now();
    const ahead: TaskTiming = {};
    const behind: TaskTiming = {};
    const submitted = epochNow();
    const [first, second] = await Promise.all([
      pool.run(busy, 100, { timing: ahead }),
      pool.run(busy, 20, { timing: behind }).then((output) => ({ ...output, resolvedAt: epochNow() })),
    ]);
    for (const [timing, output] of [
      [ahead, first],
      [behind, second],
    ] as const) {
      const { startedAtMs = Number.NaN, finishedAtMs = Number.NaN, costMs = Number.NaN } = timing;
      expect(startedAtMs).toBeGreaterThanOrEqual(submitted);
      expect(startedAtMs).toBeLessThanOrEqual(output.start); // the kernel's own clock, on the worker
      expect(finishedAtMs).toBeGreaterThanOrEqual(output.end);
      expect(costMs).toBeGreaterThanOrEqual(finishedAtMs - startedAtMs);
    }
    // The second waited about 100 ms behind the first; its cost is its own 20 ms (generous bounds).
    expect(behind.startedAtMs ?? 0).toBeGreaterThanOrEqual(ahead.finishedAtMs ?? Number.POSITIVE_INFINITY);
    expect(second.resolvedAt - submitted).toBeGreaterThan(115);
    expect(behind.costMs ?? Number.NaN).toBeLessThan(80);
    expect(behind.costMs ?? Number.NaN).toBeLessThanOrEqual(second.resolvedAt - submitted);
  });

  test("a task's timing leaves out its kernel module's loading, and a failed task reports none", async () => {
    await using pool = new WorkerPool({ size: 1 });
    const timing: TaskTiming = {};
    const submitted = performance.now();
    expect(await pool.run(quick, 1, { timing })).toBe(2);
    expect(performance.now() - submitted).toBeGreaterThan(150);
    expect(timing.costMs ?? Number.NaN).toBeLessThan(100);
    const failed: TaskTiming = {};
    const error = await pool.run(fail, "no", { timing: failed }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(failed).toEqual({});
  });

  test("a program that forgets close() still ends, and is warned once", async () => {
    const program = new URL("./fixtures/forgets-close.ts", import.meta.url).pathname;
    const child = Bun.spawn(["bun", program], { stdout: "pipe", stderr: "pipe" });
    const killer = setTimeout(() => child.kill(), 20_000); // idle workers holding it open would hang here
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    clearTimeout(killer);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe("computed twice");
    expect(stderr.match(/were not closed/g)).toHaveLength(1);
    expect(stderr).toContain("2 WorkerPools were not closed");
  }, 30_000);

  test("a task's timeout counts from its start, not the worker's start-up and module import", async () => {
    // The module takes 150 ms to import; a 100 ms timeout used to fail every task and respawn workers in a loop.
    await using pool = new WorkerPool({ size: 1, taskTimeoutMs: 100 });
    expect(await pool.run(quick, 1)).toBe(2);
    expect(await pool.run(quick, 2)).toBe(3);
    expect(pool.stats()).toMatchObject({ completed: 2, timeouts: 0, crashes: 0, workersStarted: 1 });
    // Once started, the timeout still holds a task that runs too long.
    const late = await pool.run(busy, 400).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(TaskTimeoutError);
  });

  test("start-up has a bound of its own: past it, WorkerStartupError and a fresh worker", async () => {
    // 300 ms: short of the fixture's 600 ms import, and ample for a fresh worker to load the other fixtures.
    await using pool = new WorkerPool({ size: 1, startupTimeoutMs: 300 });
    const error = await pool.run(slowStarter, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerStartupError);
    expect((error as WorkerStartupError).timeoutMs).toBe(300);
    expect(pool.stats()).toMatchObject({ timeouts: 1, workersStarted: 2 });
    expect(await pool.run(echo, "still works")).toBe("still works");
  });

  test("its capacity is size × pipelineDepth", async () => {
    await using pool = new WorkerPool({ size: 3, pipelineDepth: 2 });
    expect(pool.capacity).toBe(6);
  });
});

describe("WorkerPool options", () => {
  const badDurations = [0, -1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 31];
  const badCounts = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1025];

  test("a duration must be a number of ms in (0, 2^31 - 1]", () => {
    for (const value of badDurations) {
      expect(() => new WorkerPool({ taskTimeoutMs: value })).toThrow(InvalidArgumentError);
      expect(() => new WorkerPool({ closeTimeoutMs: value })).toThrow(InvalidArgumentError);
      expect(() => new WorkerPool({ startupTimeoutMs: value })).toThrow("startupTimeoutMs");
    }
    expect(() => new WorkerPool({ taskTimeoutMs: "100" as unknown as number })).toThrow(InvalidArgumentError);
  });

  test("size and pipelineDepth must be integers from 1 to 1024", () => {
    for (const value of badCounts) {
      expect(() => new WorkerPool({ size: value })).toThrow(InvalidArgumentError);
      expect(() => new WorkerPool({ pipelineDepth: value })).toThrow(InvalidArgumentError);
    }
  });

  test("resolveFrom must be a path or a file: URL", () => {
    expect(() => new WorkerPool({ resolveFrom: "https://example.com/kernels.ts" })).toThrow(InvalidArgumentError);
  });

  test("a bad option starts no worker", () => {
    // Nothing to close: the options are checked before the first worker is started.
    expect(() => new WorkerPool({ size: 2, closeTimeoutMs: 0 })).toThrow(InvalidArgumentError);
  });

  test("the bounds themselves are accepted", async () => {
    await using pool = new WorkerPool({
      size: 1,
      pipelineDepth: 1024,
      taskTimeoutMs: 2 ** 31 - 1,
      closeTimeoutMs: 2 ** 31 - 1,
      startupTimeoutMs: 2 ** 31 - 1,
      resolveFrom: import.meta.url,
    });
    expect(await pool.run(echo, 1, { timeoutMs: 2 ** 31 - 1 })).toBe(1);
  });

  test("a task's own timeoutMs is checked the same way, and rejects only that task", async () => {
    await using pool = new WorkerPool({ size: 1 });
    for (const timeoutMs of badDurations) {
      await expect(pool.run(echo, 1, { timeoutMs })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(await pool.run(echo, 2)).toBe(2);
    expect(pool.stats()).toMatchObject({ completed: 1, failed: 0, pending: 0, inFlight: 0 });
  });
});
