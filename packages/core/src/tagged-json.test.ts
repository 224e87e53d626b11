import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { InvalidArgumentError } from "./errors.ts";
import { decodeFromStore, decodeTaggedJson, encodeForStore, encodeTaggedJson } from "./tagged-json.ts";

describe("store codec", () => {
  test("Date, Map, Set, typed arrays, ArrayBuffer and Error come back as themselves, not as {}", () => {
    const record = {
      at: new Date(1_700_000_000_123),
      invalid: new Date(Number.NaN),
      byId: new Map<unknown, unknown>([
        ["a", 1],
        [2, { nested: new Set([Number.NaN, -0]) }],
      ]),
      tags: new Set(["x", "y"]),
      samples: new Float64Array([1.5, Number.NaN, -0]),
      big: new BigInt64Array([1n, -2n]),
      raw: new Uint8Array([1, 2, 255]).buffer,
      failure: Object.assign(new RangeError("out of range"), { stack: "RangeError: out of range\n  at x" }),
    };
    const back = decodeFromStore(encodeForStore(record)) as typeof record;
    expect(back.at).toBeInstanceOf(Date);
    expect(back.at.getTime()).toBe(1_700_000_000_123);
    expect(Number.isNaN(back.invalid.getTime())).toBe(true);
    expect(back.byId).toBeInstanceOf(Map);
    expect(back.byId.get("a")).toBe(1);
    const nested = (back.byId.get(2) as { nested: Set<number> }).nested;
    // A Set itself turns -0 into 0 when it is added, so 0 is what it held.
    expect([...nested].map((n) => (Object.is(n, -0) ? "-0" : String(n)))).toEqual(["NaN", "0"]);
    expect(back.tags).toEqual(new Set(["x", "y"]));
    expect(back.samples).toBeInstanceOf(Float64Array);
    expect(Array.from(back.samples, (n) => (Object.is(n, -0) ? "-0" : String(n)))).toEqual(["1.5", "NaN", "-0"]);
    expect(back.big).toEqual(new BigInt64Array([1n, -2n]));
    expect([...new Uint8Array(back.raw)]).toEqual([1, 2, 255]);
    expect(back.failure).toBeInstanceOf(Error);
    expect([back.failure.name, back.failure.message, back.failure.stack]).toEqual([
      "RangeError",
      "out of range",
      "RangeError: out of range\n  at x",
    ]);
  });

  test("a Buffer, a Float16Array, a DataView, a SharedArrayBuffer, an own __proto__ key and an Error's code and cause", () => {
    const shared = new SharedArrayBuffer(2);
    new Uint8Array(shared).set([7, 8]);
    const cause = new Error("underneath");
    const failure = Object.assign(new Error("on top", { cause }), { code: "E_TOP", retries: 3 });
    const record = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    Object.assign(record, {
      buffer: Buffer.from("hi"),
      view: new DataView(new Uint8Array([1, 2, 3]).buffer, 1, 2),
      shared,
      failure,
      ...("Float16Array" in globalThis
        ? { half: new (globalThis as unknown as { Float16Array: typeof Float32Array }).Float16Array([1.5, -2]) }
        : {}),
    });
    const back = decodeFromStore(encodeForStore(record)) as Record<string, unknown>;
    expect(Object.getOwnPropertyNames(back)).toContain("__proto__");
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back.buffer).toBeInstanceOf(Uint8Array);
    expect([...(back.buffer as Uint8Array)]).toEqual([104, 105]);
    expect(back.view).toBeInstanceOf(DataView);
    expect([(back.view as DataView).getUint8(0), (back.view as DataView).getUint8(1)]).toEqual([2, 3]);
    expect(back.shared).toBeInstanceOf(SharedArrayBuffer);
    expect([...new Uint8Array(back.shared as SharedArrayBuffer)]).toEqual([7, 8]);
    const error = back.failure as Error & { code?: string; retries?: number };
    expect([error.message, error.code, error.retries]).toEqual(["on top", "E_TOP", 3]);
    expect((error.cause as Error).message).toBe("underneath");
    if ("half" in record) expect(Array.from(back.half as ArrayLike<number>)).toEqual([1.5, -2]);
  });

  test("data shaped like the codec's own tag reads back as data", () => {
    for (const record of [
      { $poolstream: "NaN" },
      { $poolstream: "unstorable", v: { unstorable: "function", description: "x" } },
      { $poolstream: "bigint:5", other: 1 },
      [{ $poolstream: "object", v: {} }],
    ]) {
      expect(decodeFromStore(encodeForStore(record))).toEqual(record);
    }
  });

  test("what cannot be stored is described, never dropped or {}; a hostile value never throws", () => {
    const cyclic: Record<string, unknown> = { id: 1 };
    cyclic.self = cyclic;
    const hostile = {
      fn: function compute() {
        return 1;
      },
      sym: Symbol("tag"),
      cyclic,
      get broken(): number {
        throw new Error("getter exploded");
      },
      proxy: new Proxy(
        {},
        {
          ownKeys() {
            throw new Error("no keys for you");
          },
        },
      ),
      fine: 42,
    };
    const back = decodeFromStore(encodeForStore(hostile)) as Record<string, unknown>;
    expect(back.fn).toEqual({ unstorable: "function", description: "function compute() {" });
    expect(back.sym).toEqual({ unstorable: "symbol", description: "Symbol(tag)" });
    expect(back.cyclic).toEqual({
      id: 1,
      self: { unstorable: "cycle", description: "a reference back to an enclosing object" },
    });
    expect(back.broken).toEqual({ unstorable: "unreadable", description: 'reading "broken" threw: getter exploded' });
    expect(back.proxy).toEqual({
      unstorable: "unreadable",
      description: "its keys could not be listed: no keys for you",
    });
    expect(back.fine).toBe(42);
    // The same object twice, side by side, is not a cycle.
    const shared = { x: 1 };
    expect(decodeFromStore(encodeForStore({ a: shared, b: shared }))).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  test("a 10 MB string round-trips", () => {
    const long = "x".repeat(10 * 1024 * 1024);
    expect((decodeFromStore(encodeForStore({ long })) as { long: string }).long.length).toBe(long.length);
  });

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

  test("out of band: buffers are set aside whole, views keep sharing their buffer, NaN and -0 stay in the bytes", () => {
    const buffer = new ArrayBuffer(8 * 4 + 4 * 4);
    const batch = {
      length: 4,
      buffer,
      value: new Float64Array(buffer, 0, 4).fill(Number.NaN),
      sensor: new Uint32Array(buffer, 32, 4),
      label: "pump",
    };
    batch.value[1] = -0;
    batch.value[2] = 12345.678;
    batch.sensor.set([1, 2, 3, 4]);
    const binary: ArrayBufferLike[] = [];
    const text = encodeTaggedJson(batch, binary);
    expect(binary).toEqual([buffer]);
    expect(text).not.toContain("12345");
    const back = decodeTaggedJson(text, [buffer.slice(0)]) as typeof batch;
    expect(back.value.buffer).toBe(back.buffer);
    expect(back.sensor.buffer).toBe(back.buffer);
    expect(Object.is(back.value[1], -0)).toBe(true);
    expect(Number.isNaN(back.value[0])).toBe(true);
    expect([...back.sensor]).toEqual([1, 2, 3, 4]);
    expect(back.label).toBe("pump");
    // Without a list to fill, the same value is plain tagged JSON and reads back the same.
    expect([...(decodeFromStore(encodeForStore(batch)) as typeof batch).sensor]).toEqual([1, 2, 3, 4]);
  });

  test("out of band: a missing buffer, a view past its buffer or text that is not JSON is a typed error", () => {
    const binary: ArrayBufferLike[] = [];
    const text = encodeTaggedJson({ xs: new Float64Array([1, 2, 3]) }, binary);
    expect(() => decodeTaggedJson(text, [])).toThrow(InvalidArgumentError);
    expect(() => decodeTaggedJson(text, [new ArrayBuffer(8)])).toThrow(/outside its buffer/);
    expect(() => decodeTaggedJson("{not json", [])).toThrow(/does not parse/);
    expect(() => decodeTaggedJson('{"$poolstream":"view","v":["Nope",0,0,1]}', [new ArrayBuffer(8)])).toThrow(
      /unknown type/,
    );
  });
});
