import { describe, expect, test } from "bun:test";
import {
  InvalidArgumentError,
  PoolClosedError,
  TaskFailedError,
  TaskTimeoutError,
  WorkerCrashedError,
} from "@poolstream/core";
import { ProcessPool } from "../src/process-pool.ts";
import { childPids, eventually, isAlive } from "./fixtures/children.ts";
import {
  dieLeavingHelper,
  echo,
  exhaustMemory,
  exitAfterReturn,
  exitProcess,
  fail,
  hang,
  killOwnProcess,
  pid,
  returnsFunction,
} from "./fixtures/kernels.ts";

describe("ProcessPool", () => {
  test("runs kernels in child processes, with values kept across the boundary", async () => {
    await using pool = new ProcessPool({ size: 2 });
    const input = {
      f: new Float64Array([Number.NaN, -0, Number.POSITIVE_INFINITY]),
      m: new Map([[1, "a"]]),
      d: new Date(5),
    };
    const output = (await pool.run(echo, input)) as typeof input;
    expect(output.f).toBeInstanceOf(Float64Array);
    expect(Object.is(output.f[1], -0)).toBe(true);
    expect(Number.isNaN(output.f[0])).toBe(true);
    expect(output.m.get(1)).toBe("a");
    expect(output.d.getTime()).toBe(5);
    const pids = new Set(await Promise.all(Array.from({ length: 8 }, () => pool.run(pid, null))));
    expect(pids.has(process.pid)).toBe(false);
    for (const child of pids) expect(childPids()).toContain(child);
  });

  test("a kernel that throws fails its task with the error as data; an uncloneable output fails as a task", async () => {
    await using pool = new ProcessPool({ size: 1 });
    const error = await pool.run(fail, "bad").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).remoteName).toBe("RangeError");
    expect((error as TaskFailedError).remoteCode).toBe("E_FIXTURE");
    expect(await pool.run(returnsFunction, null).catch((e: unknown) => e)).toBeInstanceOf(TaskFailedError);
    expect(pool.stats()).toMatchObject({ crashes: 0, failed: 2 });
  });

  test("a kernel that exhausts its memory limit ends only its child; the pool and the other tasks go on", async () => {
    await using pool = new ProcessPool({ size: 2, memoryLimitMb: 512, forwardStderr: false });
    const others = Array.from({ length: 10 }, (_, i) => pool.run(echo, i));
    const hog = await pool.run(exhaustMemory, null).catch((e: unknown) => e);
    // The allocation fails inside the child: either the kernel sees it (a task failure) or the child dies.
    expect(hog instanceof WorkerCrashedError || hog instanceof TaskFailedError).toBe(true);
    if (hog instanceof WorkerCrashedError) expect(hog.message).toContain("memory limit of 512 MiB");
    expect(await Promise.all(others)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(await pool.run(echo, "after")).toBe("after");
    expect(pool.stats().workers).toBe(2);
  }, 60_000);

  test("a child killed under a task: the task runs once more on a fresh child, then fails as crashed", async () => {
    await using pool = new ProcessPool({ size: 2, forwardStderr: false });
    const error = await pool.run(killOwnProcess, null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toContain("SIGKILL");
    const exit = await pool.run(exitProcess, 4).catch((e: unknown) => e);
    expect((exit as WorkerCrashedError).exitCode).toBe(4);
    expect(pool.stats()).toMatchObject({ crashes: 4, interrupted: 2, workers: 2 });
    expect(await pool.run(echo, "still here")).toBe("still here");
  });

  test("a task past its timeout kills its child: TaskTimeoutError, and the process is gone", async () => {
    await using pool = new ProcessPool({ size: 1 });
    const before = await pool.run(pid, null);
    expect(await pool.run(hang, null, { timeoutMs: 300 }).catch((e: unknown) => e)).toBeInstanceOf(TaskTimeoutError);
    expect(await eventually(() => !isAlive(before), 5_000)).toBe(true);
    expect(await pool.run(pid, null)).not.toBe(before);
    expect(pool.stats()).toMatchObject({ timeouts: 1, workers: 1 });
  });

  test("close drains, ends every child, and is idempotent; later tasks are refused", async () => {
    const pool = new ProcessPool({ size: 2 });
    const pids = await Promise.all([pool.run(pid, null), pool.run(pid, null)]);
    const accepted = Array.from({ length: 6 }, (_, i) => pool.run(echo, i));
    const closing = pool.close();
    expect(pool.close()).toBe(closing);
    await closing;
    expect(await Promise.all(accepted)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const child of pids) expect(isAlive(child)).toBe(false);
    expect(childPids()).toEqual([]);
    await expect(pool.run(echo, 1)).rejects.toBeInstanceOf(PoolClosedError);
  });

  test("children end when the program that started them is killed", async () => {
    const program = new URL("./fixtures/orphaned.ts", import.meta.url).pathname;
    const parent = Bun.spawn(["bun", program], { stdout: "pipe", stderr: "inherit" });
    const reader = parent.stdout.getReader();
    const { value } = await reader.read();
    const pids = JSON.parse(new TextDecoder().decode(value)) as number[];
    expect(pids).toHaveLength(2);
    parent.kill("SIGKILL");
    await parent.exited;
    expect(await eventually(() => pids.every((child) => !isAlive(child)), 5_000)).toBe(true);
  });

  test("options are checked: a memory limit must be an integer of MiB from 512", () => {
    for (const memoryLimitMb of [0, -1, 1.5, 511, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => new ProcessPool({ memoryLimitMb })).toThrow(InvalidArgumentError);
      expect(() => new ProcessPool({ memoryLimitMb })).toThrow("memoryLimitMb");
    }
    expect(() => new ProcessPool({ size: 1e6 })).toThrow("size");
    expect(childPids()).toEqual([]);
  });

  test("tasks sent to a child that is dying go to another child: none fails for it", async () => {
    await using pool = new ProcessPool({ size: 2, forwardStderr: false });
    for (let round = 0; round < 10; round++) {
      const outputs = await Promise.all([
        pool.run(exitAfterReturn, 3),
        ...Array.from({ length: 6 }, (_, i) => pool.run(echo, i)),
      ]);
      expect(outputs).toEqual([3, 0, 1, 2, 3, 4, 5]);
    }
    expect(pool.stats().failed).toBe(0);
  }, 60_000);

  test("a child's death is reported when it exits, even while a process it started holds its standard error", async () => {
    const pool = new ProcessPool({ size: 1, forwardStderr: false });
    const started = performance.now();
    const error = await pool.run(dieLeavingHelper, 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as WorkerCrashedError).exitCode).toBe(5);
    expect(await pool.run(echo, "next")).toBe("next");
    const closing = performance.now();
    await pool.close();
    // Two deaths (it ran twice) and a close, each bounded by the exit, not by the 10 s helpers.
    expect(performance.now() - closing).toBeLessThan(2_000);
    expect(performance.now() - started).toBeLessThan(5_000);
    Bun.spawnSync(["pkill", "-f", "^sleep 10$"]);
  }, 30_000);

  test("a program that forgets close() still ends, and is warned", async () => {
    const program = new URL("./fixtures/forgets-close.ts", import.meta.url).pathname;
    const child = Bun.spawn(["bun", program], { stdout: "pipe", stderr: "pipe" });
    const killer = setTimeout(() => child.kill(), 20_000);
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    clearTimeout(killer);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe("computed");
    expect(stderr).toContain("1 ProcessPool was not closed");
  }, 30_000);

  test("a memory limit above the system's hard limit is refused when the pool is made, not looped on", () => {
    const program = new URL("./fixtures/limit-above-hard.ts", import.meta.url).pathname;
    const child = Bun.spawnSync(["/bin/sh", "-c", 'ulimit -d 4194304 && exec bun "$0"', program], { timeout: 20_000 });
    expect(child.stdout.toString()).toContain(
      "InvalidArgumentError: memoryLimitMb 8192 is above this system's hard limit",
    );
  }, 30_000);
});
