/**
 * The scheduling of `HostPool` on workers of a kind made here, whose
 * behaviour the test decides: what the pool does when workers cannot start.
 */
import { describe, expect, test } from "bun:test";
import { flushMicrotasks, ManualClock, WorkerCrashedError } from "@poolstream/core";
import { HostPool } from "../src/host-pool.ts";
import type { WorkerHost, WorkerHostFactory } from "../src/worker-host.ts";
import { echo } from "./fixtures/kernels.ts";

/** Workers that die as soon as they are started, before they answer anything. */
function workersThatCannotStart(): WorkerHostFactory & { readonly started: () => number } {
  let started = 0;
  return {
    started: () => started,
    spawn(name, _capacity, events): WorkerHost {
      started++;
      queueMicrotask(() => events.died(new WorkerCrashedError(`${name} could not start`)));
      return {
        claims: undefined,
        exited: Promise.resolve(),
        send: () => false,
        keepAlive() {},
        terminate() {},
      };
    },
  };
}

describe("HostPool with workers that cannot start", () => {
  test("restarts them with a growing delay instead of in a tight loop, and fails a task they held", async () => {
    const clock = new ManualClock();
    const hosts = workersThatCannotStart();
    const pool = new HostPool(hosts, { size: 1, clock });
    const task = pool.run(echo, "never computed").catch((e: unknown) => e);
    await flushMicrotasks();
    // The first death is restarted at once; from the second in a row on, after 50, 100, 200 ms...
    expect(hosts.started()).toBe(2);
    await clock.advance(49);
    expect(hosts.started()).toBe(2);
    await clock.advance(1);
    expect(hosts.started()).toBe(3);
    await clock.advance(100);
    expect(hosts.started()).toBe(4);
    await clock.advance(200);
    expect(hosts.started()).toBe(5);
    // Its task died with two workers: it ran once more, and is reported as crashed.
    expect(await task).toBeInstanceOf(WorkerCrashedError);
    expect(pool.stats()).toMatchObject({ interrupted: 1, inFlight: 0, pending: 0 });
    // The delay stops growing at 5 s; closing cancels the next start.
    await clock.advance(60_000);
    const startedBeforeClose = hosts.started();
    expect(startedBeforeClose).toBeLessThan(25);
    await pool.close();
    await clock.advance(60_000);
    expect(hosts.started()).toBe(startedBeforeClose);
  });
});
