import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { classify, Priority } from "./classify.ts";

const withValue = (value: unknown) => ({ sensorId: "s", seq: 0, value, timestamp: 0, createdAt: 0 });

describe("classify", () => {
  test("the boundaries 15 and 85 are NORMAL; just outside them is CRITICAL", () => {
    expect(classify(withValue(15))).toBe(Priority.normal);
    expect(classify(withValue(85))).toBe(Priority.normal);
    expect(classify(withValue(50))).toBe(Priority.normal);
    expect(classify(withValue(85.000001))).toBe(Priority.critical);
    expect(classify(withValue(14.999999))).toBe(Priority.critical);
    expect(classify(withValue(-0))).toBe(Priority.critical);
    expect(classify(withValue(100))).toBe(Priority.critical);
  });

  test("a value that is not a finite number is CRITICAL (a failing sensor)", () => {
    for (const value of [Number.NaN, Infinity, -Infinity, null, undefined, "50", true, { v: 50 }, [50]]) {
      expect(classify(withValue(value))).toBe(Priority.critical);
    }
    expect(classify(null)).toBe(Priority.critical);
    expect(classify("not a record")).toBe(Priority.critical);
    expect(classify({})).toBe(Priority.critical);
  });

  test("property: never throws, and NORMAL exactly for finite numbers in [15, 85]", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const lane = classify(withValue(value));
        const safe = typeof value === "number" && value >= 15 && value <= 85;
        expect(lane).toBe(safe ? Priority.normal : Priority.critical);
      }),
      { seed: 3, numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.double(), (value) => {
        expect(classify(withValue(value)) === Priority.normal).toBe(value >= 15 && value <= 85);
      }),
      { seed: 4, numRuns: 500 },
    );
  });
});
