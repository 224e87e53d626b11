/**
 * Everything submitted at once: while tasks wait that the workers could not
 * take at `pipelineDepth`, each worker holds up to `backlogDepth`, so the main
 * thread hands work over in bulk; an urgent task still waits behind one
 * running task at most, and an aborted task a worker has not started never
 * runs.
 */
import { describe, expect, test } from "bun:test";
import { AbortError, InvalidArgumentError } from "@poolstream/core";
import { WorkerPool } from "../src/worker-pool.ts";
import { busy, echo } from "./fixtures/kernels.ts";

describe("WorkerPool backlog depth", () => {
  test("a backlog is handed to the workers in bulk, up to backlogDepth each; every task answers, in its own output", async () => {
    await using pool = new WorkerPool({ size: 2, backlogDepth: 8 });
    expect(pool.backlogDepth).toBe(8);
    const runs = Array.from({ length: 40 }, (_, i) => pool.run(echo, i));
    // Handed over at once: 2 workers × 8, not 2 × pipelineDepth (2).
    expect(pool.stats()).toMatchObject({ inFlight: 16, pending: 24 });
    expect(await Promise.all(runs)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(pool.stats()).toMatchObject({ inFlight: 0, pending: 0, completed: 40 });
  });

  test("without a backlog, a worker holds pipelineDepth; backlogDepth = pipelineDepth turns bulk hand-over off", async () => {
    await using pool = new WorkerPool({ size: 2 });
    const four = Array.from({ length: 4 }, (_, i) => pool.run(echo, i));
    expect(pool.stats()).toMatchObject({ inFlight: 4, pending: 0 });
    await Promise.all(four);
    await using shallow = new WorkerPool({ size: 2, backlogDepth: 2 });
    const many = Array.from({ length: 20 }, (_, i) => shallow.run(echo, i));
    expect(shallow.stats()).toMatchObject({ inFlight: 4, pending: 16 });
    await Promise.all(many);
  });

  test("an urgent task arriving during a backlog waits behind the running task only", async () => {
    await using pool = new WorkerPool({ size: 1, backlogDepth: 16 });
    const order: string[] = [];
    const normal = Array.from({ length: 20 }, (_, i) => pool.run(busy, 20).then(() => order.push(`n${i}`)));
    await Bun.sleep(30); // the first normal task is running, 15 more wait on the worker
    const urgent = pool.run(echo, "urgent", { priority: "urgent" }).then(() => order.push("urgent"));
    await Promise.all([...normal, urgent]);
    if (order.indexOf("urgent") > 2) console.log(`urgent finished at ${order.indexOf("urgent")}: ${order.join(" ")}`);
    // At most the running task (and one that started while the urgent one was sent) finished before it.
    expect(order.indexOf("urgent")).toBeLessThanOrEqual(2);
    // The normal tasks it overtook ran afterwards, in their order.
    expect(order.filter((name) => name !== "urgent")).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
  });

  test("aborting a task a worker holds but has not started withdraws it: it never runs", async () => {
    await using pool = new WorkerPool({ size: 1, backlogDepth: 8 });
    const blocker = pool.run(busy, 100);
    const controller = new AbortController();
    const others = Array.from({ length: 4 }, (_, i) => pool.run(echo, i, i === 2 ? { signal: controller.signal } : {}));
    expect(pool.stats().inFlight).toBe(5); // all on the worker
    controller.abort();
    await expect(others[2] as Promise<number>).rejects.toBeInstanceOf(AbortError);
    expect(pool.stats().inFlight).toBe(4);
    await blocker;
    expect(await Promise.all([others[0], others[1], others[3]])).toEqual([0, 1, 3]);
    // Five answered: the blocker and three echoes; the aborted one was never run.
    expect(pool.stats()).toMatchObject({ completed: 4, inFlight: 0 });
  });

  test("backlogDepth is checked: an integer from pipelineDepth to 1024", () => {
    for (const bad of [0, 1.5, -1, 2000, Number.NaN]) {
      expect(() => new WorkerPool({ size: 1, backlogDepth: bad })).toThrow(InvalidArgumentError);
    }
    expect(() => new WorkerPool({ size: 1, pipelineDepth: 4, backlogDepth: 3 })).toThrow(/at least pipelineDepth/);
  });
});
