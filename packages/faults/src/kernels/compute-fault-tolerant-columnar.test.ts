import { describe, expect, test } from "bun:test";
import { encodeColumnar, SensorInterner } from "@poolstream/core";
import fc from "fast-check";
import { computeFaultTolerantRecords } from "./compute-fault-tolerant-batch.ts";
import { computeFaultTolerantColumnar, materializeFaultTolerant } from "./compute-fault-tolerant-columnar.ts";

const viaColumns = (records: readonly unknown[]) =>
  materializeFaultTolerant(records, computeFaultTolerantColumnar(encodeColumnar(records, new SensorInterner())));

describe("computeFaultTolerantColumnar", () => {
  test("the kernel takes the columns themselves and is found in @poolstream/faults/kernels", () => {
    expect(computeFaultTolerantColumnar.kernel).toEqual({
      module: "@poolstream/faults/kernels",
      exportName: "computeFaultTolerantColumnar",
      transferOutput: true,
    });
  });

  test("the fault path still sees NaN, ±Infinity, -0, subnormals and values of the wrong type through columns", () => {
    const record = (value: unknown) => ({ sensorId: "s", seq: 1, value, timestamp: 2, createdAt: 3 });
    const records = [
      record(Number.NaN),
      record(Infinity),
      record(-Infinity),
      record(-0),
      record(Number.MIN_VALUE),
      record("5"),
      record(null),
      record(Number.MAX_VALUE),
      7,
    ];
    expect(viaColumns(records)).toEqual(computeFaultTolerantRecords(records));
    expect(viaColumns(records).map((e) => e.status)).toEqual([
      "POISON_PILL",
      "POISON_PILL",
      "POISON_PILL",
      "OK",
      "OK",
      "FAILED",
      "FAILED",
      "FAILED",
      "FAILED",
    ]);
  });

  test("property: the same entries as the object kernel, for any records", () => {
    const value = fc.oneof(
      fc.double(),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, Number.MAX_VALUE),
      fc.anything(),
    );
    const record = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          sensorId: fc.constantFrom("a", "b"),
          seq: fc.nat(),
          value,
          timestamp: fc.nat(),
          createdAt: fc.nat(),
        }),
      },
      { weight: 1, arbitrary: fc.anything() },
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), (records) => {
        expect(viaColumns(records)).toEqual(computeFaultTolerantRecords(records));
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});
