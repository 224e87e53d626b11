import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { decodeColumnar, encodeColumnar, isDetached, ValueKind } from "./columnar-batch.ts";
import { InvalidArgumentError } from "./errors.ts";
import type { SensorRecord } from "./records.ts";
import { SensorInterner } from "./sensor-interner.ts";
import { collectTransferables } from "./transferables.ts";

const special = fc.constantFrom(
  -0,
  0,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072e-308,
  Number.NaN,
  Infinity,
  -Infinity,
  Number.MAX_VALUE,
);
const anyDouble = fc.oneof(fc.double(), special);
const record = fc.record({
  sensorId: fc.constantFrom("a", "b", "sensor-3", ""),
  seq: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
  value: anyDouble,
  timestamp: fc.double(),
  createdAt: anyDouble,
});

describe("columnar batch format", () => {
  test("property: encode then decode is exact, including -0, subnormals, NaN and ±Infinity", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 50 }), (records: SensorRecord[]) => {
        const interner = new SensorInterner();
        const batch = encodeColumnar(records, interner);
        const decoded = decodeColumnar(batch, interner);
        expect(decoded).toHaveLength(records.length);
        decoded.forEach((r, i) => {
          const original = records[i] as SensorRecord;
          expect(r.sensorId).toBe(original.sensorId);
          for (const field of ["seq", "value", "timestamp", "createdAt"] as const) {
            expect(Object.is(r[field], original[field])).toBe(true);
          }
        });
        expect(Array.from(batch.valueKind).every((k) => k === ValueKind.number)).toBe(true);
      }),
      { seed: 99, numRuns: 300 },
    );
  });

  test("values a Float64 column cannot hold are NaN with their kind kept; non-records are marked", () => {
    const interner = new SensorInterner();
    const batch = encodeColumnar(
      [
        { value: "12" },
        { value: null },
        { value: true },
        { value: { x: 1 } },
        {},
        42,
        null,
        [1, 2],
        {
          get value(): number {
            throw new Error("bus error");
          },
        },
      ],
      interner,
    );
    expect(Array.from(batch.valueKind)).toEqual([
      ValueKind.string,
      ValueKind.null,
      ValueKind.boolean,
      ValueKind.object,
      ValueKind.missing,
      ValueKind.notARecord,
      ValueKind.notARecord,
      ValueKind.notARecord,
      ValueKind.unreadable,
    ]);
    expect(Array.from(batch.value).every(Number.isNaN)).toBe(true);
  });

  test("every column lives in one buffer, which is what gets transferred", () => {
    const batch = encodeColumnar(
      [{ sensorId: "a", seq: 1, value: 2, timestamp: 3, createdAt: 4 }],
      new SensorInterner(),
    );
    expect(collectTransferables(batch)).toEqual([batch.buffer]);
    expect(isDetached(batch)).toBe(false);
    structuredClone(batch, { transfer: [batch.buffer] });
    expect(isDetached(batch)).toBe(true);
    expect(batch.value.length).toBe(0);
  });

  test("collectTransferables finds nested buffers once and skips shared memory", () => {
    const a = new Float64Array(2);
    const b = new Uint8Array(3);
    const shared = new Int32Array(new SharedArrayBuffer(8));
    expect(collectTransferables({ a, again: a, nested: { b }, shared })).toEqual([a.buffer, b.buffer as ArrayBuffer]);
    expect(collectTransferables(42)).toEqual([]);
  });

  test("the interner gives stable codes and resolves them back", () => {
    const interner = new SensorInterner();
    expect([interner.intern("x"), interner.intern("y"), interner.intern("x")]).toEqual([0, 1, 0]);
    expect(interner.idOf(1)).toBe("y");
    expect(interner.size).toBe(2);
  });
});

describe("SensorInterner", () => {
  test("is bounded: two generations of `capacity` ids, and codes of both decode to their ids", () => {
    const interner = new SensorInterner({ capacity: 100 });
    const codes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const id = `sensor-${i}`;
      codes.set(id, interner.intern(id));
      expect(interner.size).toBeLessThanOrEqual(200);
    }
    // The latest 100 to 200 ids (the two generations held) still decode; their codes fit a Uint32.
    for (let i = 900; i < 1000; i++) expect(interner.idOf(codes.get(`sensor-${i}`) as number)).toBe(`sensor-${i}`);
    for (let i = 800; i < 900; i++) expect(interner.idOf(codes.get(`sensor-${i}`) as number)).toBe(`sensor-${i}`);
    expect(new Uint32Array([codes.get("sensor-999") as number])[0]).toBe(codes.get("sensor-999"));
    // An id seen again in a later generation gets a code there, and both decode while held.
    const again = interner.intern("sensor-850");
    expect(interner.idOf(again)).toBe("sensor-850");
    expect(() => new SensorInterner({ capacity: 0 })).toThrow(InvalidArgumentError);
  });
});
