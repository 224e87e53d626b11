import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "poolstream-shutdown-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("shutdown", () => {
  test("`await using` and the pipeline's stop leave no worker, timer or open handle: the program exits by itself", () => {
    const script = new URL("./fixtures/leave-nothing-running.ts", import.meta.url).pathname;
    const started = performance.now();
    const child = Bun.spawnSync(["bun", script, join(dir, "dlq.sqlite")], {
      stdout: "pipe",
      stderr: "pipe",
      timeout: 30_000,
    });
    expect(child.stderr.toString()).toBe("");
    expect(child.exitCode).toBe(0);
    expect(JSON.parse(child.stdout.toString().trim())).toMatchObject({ holds: true });
    expect(JSON.parse(child.stdout.toString().trim()).entered).toBeGreaterThan(0);
    // A handle left open would have kept it alive until the 30 s timeout; generous for a loaded machine.
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 40_000);
});
