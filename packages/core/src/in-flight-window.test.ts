import { describe, expect, test } from "bun:test";
import { flushMicrotasks } from "./clock.ts";
import { InvalidArgumentError } from "./errors.ts";
import { InFlightWindow } from "./in-flight-window.ts";

function deferred() {
  let resolve: () => void = () => {};
  let reject: (e: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("InFlightWindow", () => {
  test("add waits while the window is full, and never lets more than `limit` be outstanding", async () => {
    const window = new InFlightWindow(2);
    const [a, b, c] = [deferred(), deferred(), deferred()];
    await window.add(a.promise);
    let admitted = false;
    const adding = window.add(b.promise).then(() => {
      admitted = true;
    });
    await flushMicrotasks();
    expect(admitted).toBe(false); // two outstanding: full
    expect(window.size).toBe(2);
    a.resolve();
    await adding;
    expect(window.size).toBe(1);
    const third = window.add(c.promise);
    b.resolve();
    await third;
    expect(window.size).toBe(1); // only c is left
    c.resolve();
    await window.drain();
  });

  test("a rejected work frees its slot too, and the window does not swallow it for the caller", async () => {
    const window = new InFlightWindow(1);
    const failing = Promise.reject(new Error("batch failed"));
    const seen = failing.catch((e: Error) => e.message);
    await window.add(failing);
    expect(window.size).toBe(0);
    expect(await seen).toBe("batch failed");
  });

  test("drain waits for everything; settleOne for the first", async () => {
    const window = new InFlightWindow(10);
    const [a, b] = [deferred(), deferred()];
    await window.add(a.promise);
    await window.add(b.promise);
    let drained = false;
    const draining = window.drain().then(() => {
      drained = true;
    });
    const first = window.settleOne();
    b.resolve();
    await first;
    expect(drained).toBe(false);
    a.resolve();
    await draining;
    expect(window.size).toBe(0);
    await window.settleOne(); // empty: resolves at once
  });

  test("rejects a limit below 1", () => {
    expect(() => new InFlightWindow(0)).toThrow(InvalidArgumentError);
  });
});
