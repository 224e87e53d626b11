import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { defineKernel, mean, TaskFailedError } from "@poolstream/core";
import { WorkerPool } from "../src/worker-pool.ts";
import { echo } from "./fixtures/kernels.ts";
import { double, programPool } from "./fixtures/program-with-kernels.ts";

afterAll(() => programPool.close());

async function failureOf(promise: Promise<unknown>): Promise<TaskFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TaskFailedError);
  return error as TaskFailedError;
}

describe("a kernel module that also creates a pool", () => {
  test("fails to load with NestedPoolError, quickly, and starts no extra workers", async () => {
    await using pool = new WorkerPool({ size: 2 });
    const started = performance.now();
    const error = await failureOf(pool.run(double, [1, 2]));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error.remoteName).toBe("NestedPoolError");
    expect(error.remoteCode).toBe("NESTED_POOL");
    expect(error.message).toContain("program-with-kernels.ts");
    expect(error.message).toContain("import.meta.main");
    // The task failed; the worker did not crash and still runs other kernels.
    expect(await pool.run(echo, "fine")).toBe("fine");
    expect(pool.stats()).toMatchObject({ workersStarted: 2, workers: 2, crashes: 0, failed: 1 });
  });

  test("the program's own pool fails the same way when it runs the kernel", async () => {
    const error = await failureOf(programPool.run(double, [1, 2]));
    expect(error.remoteCode).toBe("NESTED_POOL");
    expect(programPool.stats().workersStarted).toBe(1);
  });

  test("the README's example pasted into one file rejects on import instead of multiplying threads", async () => {
    const error = await failureOf(import("./fixtures/one-file-program.ts"));
    expect(error.remoteName).toBe("NestedPoolError");
  });
});

describe("a kernel module that fails to load", () => {
  test("a module whose top level throws: the task fails with that error's name and code, saying which kernel", async () => {
    await using pool = new WorkerPool({ size: 1 });
    const neverLoaded = defineKernel(
      new URL("./fixtures/throws-on-load.ts", import.meta.url).href,
      "neverLoaded",
      (x: number) => x,
    );
    const error = await failureOf(pool.run(neverLoaded, 1));
    expect(error.remoteName).toBe("RangeError");
    expect(error.remoteCode).toBe("E_CONFIG");
    expect(error.message).toContain('kernel "neverLoaded"');
    expect(error.message).toContain("throws-on-load.ts");
    expect(error.message).toContain("config file is missing");
    expect(pool.stats().crashes).toBe(0);
  });

  test("a module with a syntax error: the message says where", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poolstream-"));
    try {
      const file = join(dir, "broken-kernels.ts");
      writeFileSync(file, "export const broken = ;\n");
      await using pool = new WorkerPool({ size: 1 });
      const broken = defineKernel(pathToFileURL(file).href, "broken", (x: number) => x);
      const error = await failureOf(pool.run(broken, 1));
      expect(error.message).toContain('kernel "broken"');
      expect(error.message).toContain(`${file}:1:`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a package that cannot be found: the message names it", async () => {
    await using pool = new WorkerPool({ size: 1 });
    const missing = defineKernel("@poolstream/no-such-package", "nothing", (x: number) => x);
    const error = await failureOf(pool.run(missing, 1));
    expect(error.message).toContain('kernel "nothing"');
    expect(error.message).toContain("@poolstream/no-such-package");
    expect(error.remoteCode).toBe("ERR_MODULE_NOT_FOUND");
  });
});

describe("kernels addressed by a bare package specifier", () => {
  test("are resolved from the program's side, where the package is installed", async () => {
    // @poolstream/core is a dependency of this package: any function export of it will do as a kernel.
    const coreMean = defineKernel("@poolstream/core", "mean", mean);
    await using pool = new WorkerPool({ size: 1 });
    expect(await pool.run(coreMean, [1, 2, 3, 6])).toBe(3);
  });
});
