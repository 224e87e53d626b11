import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { decodeFromStore, encodeForStore } from "./store-codec.ts";

describe("store codec", () => {
  test("NaN, ±Infinity, -0, undefined and bigint come back as themselves", () => {
    const record = {
      value: Number.NaN,
      a: Infinity,
      b: -Infinity,
      c: -0,
      d: undefined,
      e: 12n,
      nested: [Number.NaN, { x: -0 }],
    };
    const back = decodeFromStore(encodeForStore(record)) as typeof record;
    expect(Number.isNaN(back.value)).toBe(true);
    expect(back.a).toBe(Infinity);
    expect(back.b).toBe(-Infinity);
    expect(Object.is(back.c, -0)).toBe(true);
    expect("d" in back && back.d === undefined).toBe(true);
    expect(back.e).toBe(12n);
    expect(Number.isNaN(back.nested[0])).toBe(true);
    expect(Object.is((back.nested[1] as { x: number }).x, -0)).toBe(true);
  });

  test("property: any JSON-like value with special numbers round-trips (Object.is on every leaf)", () => {
    const leaf = fc.oneof(
      fc.double(),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, undefined, null),
      fc.string(),
      fc.boolean(),
      fc.bigInt(),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(
          fc.string().filter((k) => k !== "__proto__"),
          tie("node"),
          { maxKeys: 4 },
        ),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        // toStrictEqual distinguishes -0 from 0 and treats NaN as equal to NaN.
        expect(decodeFromStore(encodeForStore(value))).toStrictEqual(value);
      }),
      { seed: 9, numRuns: 300 },
    );
  });
});
