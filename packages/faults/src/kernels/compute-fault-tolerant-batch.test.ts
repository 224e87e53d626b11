import { describe, expect, test } from "bun:test";
import { errorRecordOf, isRecordFailure, RecordStatus, schemaOf } from "@poolstream/core";
import fc from "fast-check";
import {
  computeFaultTolerantBatch,
  computeFaultTolerantRecords,
  failureEntryFor,
} from "./compute-fault-tolerant-batch.ts";

const withValue = (value: unknown, seq = 0) => ({ sensorId: "s", seq, value, timestamp: 0, createdAt: 0 });

describe("computeFaultTolerantBatch", () => {
  test("each bad input gets its own entry; the good ones in the batch are computed", () => {
    const inputs: [unknown, string, RegExp | undefined][] = [
      [withValue(Number.NaN), "POISON_PILL", /NaN/],
      [withValue(Infinity), "POISON_PILL", /Infinity/],
      [withValue(-Infinity), "POISON_PILL", /-Infinity/],
      [withValue(null), "FAILED", /not a number \(null\)/],
      [{ sensorId: "s", seq: 0, timestamp: 0, createdAt: 0 }, "FAILED", /not a number \(missing\)/],
      [withValue("42"), "FAILED", /a string/],
      [withValue(true), "FAILED", /a boolean/],
      [withValue(Number.MAX_VALUE), "FAILED", /overflow/],
      [withValue(-Number.MAX_VALUE / 1.5), "FAILED", /overflow/],
      [withValue({ reading: 5 }), "FAILED", /an object/],
      [42, "FAILED", /not an object/],
      [null, "FAILED", /not an object/],
      ["a string record", "FAILED", /not an object/],
      [withValue(-0), "OK", undefined],
      [withValue(Number.MIN_VALUE), "OK", undefined],
      [withValue(2.2250738585072e-308), "OK", undefined],
      [withValue(80), "OK", undefined],
    ];
    const entries = computeFaultTolerantRecords(inputs.map(([input]) => input));
    expect(entries).toHaveLength(inputs.length);
    entries.forEach((entry, i) => {
      const [input, status, message] = inputs[i] as [unknown, string, RegExp | undefined];
      expect(entry.status).toBe(status as never);
      if (entry.status !== "OK") {
        expect(entry.originalRecord).toBe(input);
        expect(entry.error).toMatch(message as RegExp);
      }
    });
    const failed = entries.find((e) => e.status === "FAILED" && e.error.includes("overflow"));
    expect(failed && "errorType" in failed ? failed.errorType : undefined).toBe("RangeError");
    const ok = entries.filter((e) => e.status === "OK");
    // -0, two subnormals and 80: normalized over the valid records only.
    expect(ok.map((e) => e.normalized)).toEqual([0, expect.closeTo(0, 12), expect.closeTo(0, 12), 1] as never);
    expect(ok.every((e) => Number.isFinite(e.normalized) && Number.isFinite(e.rollingMean))).toBe(true);
  });

  test("a record whose getter throws fails alone", () => {
    const hostile = {
      get value(): number {
        throw new Error("sensor bus error");
      },
    };
    const entries = computeFaultTolerantRecords([withValue(10), hostile, withValue(20)]);
    expect(entries.map((e) => e.status)).toEqual(["OK", "FAILED", "OK"]);
    expect(entries[1]?.status === "FAILED" ? entries[1].error : "").toBe("sensor bus error");
  });

  test("property: never throws for any input, one entry per record, in order", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.anything(),
            fc.record({ sensorId: fc.string(), seq: fc.nat(), value: fc.oneof(fc.double(), fc.anything()) }),
          ),
          { maxLength: 40 },
        ),
        (records) => {
          const entries = computeFaultTolerantRecords(records);
          expect(entries).toHaveLength(records.length);
          entries.forEach((entry, i) => {
            if (entry.status === "OK") expect(entry.value).toBe((records[i] as { value: number }).value);
            else expect(entry.originalRecord).toBe(records[i]);
            if (entry.status === "OK") expect(Number.isNaN(entry.normalized)).toBe(false);
          });
        },
      ),
      { seed: 21, numRuns: 300 },
    );
  });

  test("the kernel takes the records themselves and is found in @poolstream/faults/kernels", () => {
    expect(computeFaultTolerantBatch.kernel).toMatchObject({
      module: "@poolstream/faults/kernels",
      exportName: "computeFaultTolerantBatch",
    });
    const records = [withValue(1), withValue(Number.NaN), withValue("x")];
    expect(computeFaultTolerantBatch(records)).toEqual(computeFaultTolerantRecords(records));
  });

  test("failures are core's error records and poison pills", () => {
    const [failed, pill] = computeFaultTolerantRecords([withValue("x"), withValue(Number.NaN)]);
    expect(isRecordFailure(failed)).toBe(true);
    expect(failed).toEqual(errorRecordOf(withValue("x"), new TypeError('value is not a number (a string: "x")')));
    expect(pill).toEqual({
      status: RecordStatus.poisonPill,
      error: "value is NaN",
      originalRecord: withValue(Number.NaN),
    });
  });

  test("with a schema, the value is read from the field it names", () => {
    const schema = schemaOf<{ id: string; n: number; reading: unknown; at: number }>({
      sensorId: "id",
      seq: "n",
      value: "reading",
      createdAt: "at",
    });
    expect(failureEntryFor({ id: "d", n: 0, reading: 5, at: 0 }, schema)).toBeUndefined();
    expect(failureEntryFor({ id: "d", n: 0, reading: Infinity, at: 0 }, schema)?.status).toBe("POISON_PILL");
    // Read as a sensor record, the same record has no `value` at all.
    expect(failureEntryFor({ id: "d", n: 0, reading: 5, at: 0 })?.error).toMatch(/missing/);
  });
});
