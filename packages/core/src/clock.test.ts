import { describe, expect, test } from "bun:test";
import { ManualClock, sleep, systemClock } from "./clock.ts";
import { AbortError, InvalidArgumentError, serializeError, TaskFailedError } from "./errors.ts";
import { createRandom, deriveSeed } from "./random.ts";

describe("ManualClock", () => {
  test("fires timers in due order as time advances", async () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimer(30, () => fired.push("b"));
    clock.setTimer(10, () => fired.push("a"));
    const cancel = clock.setTimer(20, () => fired.push("never"));
    cancel();
    await clock.advance(25);
    expect(fired).toEqual(["a"]);
    expect(clock.now()).toBe(1025);
    await clock.advance(5);
    expect(fired).toEqual(["a", "b"]);
  });

  test("sleep resolves on the clock and rejects on abort without leaving a timer", async () => {
    const clock = new ManualClock();
    let woke = false;
    const nap = sleep(clock, 50).then(() => {
      woke = true;
    });
    await clock.advance(49);
    expect(woke).toBe(false);
    await clock.advance(1);
    await nap;
    expect(woke).toBe(true);

    const controller = new AbortController();
    const aborted = sleep(clock, 50, controller.signal);
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("systemClock's timers", () => {
  test("a delay past 2^31 - 1 ms or Infinity never fires early (setTimeout alone fires it after 1 ms)", async () => {
    const fired: string[] = [];
    const cancels = [2 ** 31, 2 ** 31 + 1000, 1e12, Number.POSITIVE_INFINITY].map((ms) =>
      systemClock.setTimer(ms, () => fired.push(String(ms))),
    );
    const soon = systemClock.setTimer(5, () => fired.push("5"));
    await Bun.sleep(60); // generous: the bug fired them after 1 ms
    for (const cancel of [...cancels, soon]) cancel();
    expect(fired).toEqual(["5"]);
  });

  test("a negative delay fires at once; NaN is refused", async () => {
    let fired = false;
    systemClock.setTimer(-5, () => {
      fired = true;
    });
    await Bun.sleep(20);
    expect(fired).toBe(true);
    expect(() => systemClock.setTimer(Number.NaN, () => {})).toThrow(InvalidArgumentError);
    expect(() => new ManualClock().setTimer(Number.NaN, () => {})).toThrow(InvalidArgumentError);
  });
});

describe("errors across a boundary", () => {
  test("serializeError keeps name, message, stack and code; TaskFailedError rebuilds them", () => {
    const original = Object.assign(new RangeError("bad range"), { code: "E_RANGE" });
    const data = structuredClone(serializeError(original));
    const rebuilt = new TaskFailedError(data);
    expect(rebuilt).toBeInstanceOf(TaskFailedError);
    expect(rebuilt.remoteName).toBe("RangeError");
    expect(rebuilt.remoteCode).toBe("E_RANGE");
    expect(rebuilt.message).toBe("RangeError: bad range");
    expect(rebuilt.remoteStack).toContain("bad range");
  });

  test("non-Error throwables become data too", () => {
    expect(serializeError("plain")).toEqual({ name: "NonError", message: "plain" });
    expect(serializeError({ a: 1 })).toEqual({ name: "NonError", message: '{"a":1}' });
  });
});

describe("random", () => {
  test("same seed, same sequence; values in [0, 1)", () => {
    const a = createRandom(7);
    const b = createRandom(7);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(deriveSeed(1, "s1")).not.toBe(deriveSeed(1, "s2"));
  });
});
