import { describe, expect, test } from "bun:test";
import { objectTransport } from "./batch-transport.ts";
import { defineKernel } from "./kernel.ts";
import { errorRecordOf, type RecordFailure } from "./record-failure.ts";
import { passRecordFailures } from "./record-failures-transport.ts";

const double = defineKernel(import.meta.url, "double", (xs: readonly number[]) => xs.map((x) => x * 2));

describe("passRecordFailures", () => {
  const transport = passRecordFailures(objectTransport(double) as never) as ReturnType<
    typeof objectTransport<number | RecordFailure, (number | RecordFailure)[]>
  >;

  test("a batch without failures is encoded as it is: the same array", () => {
    const batch = [1, 2, 3];
    expect(transport.encode(batch).input).toBe(batch);
    expect(transport.decode([2, 4, 6], batch)).toEqual([2, 4, 6]);
  });

  test("failures are taken out before encoding and put back, as they are, in their places", () => {
    const bad = errorRecordOf({ line: 2 }, new SyntaxError("line 2 does not parse"));
    const worse = { status: "POISON_PILL" as const, error: "NaN", originalRecord: { line: 5 } };
    const batch = [1, bad, 3, 4, worse];
    const { input } = transport.encode(batch);
    expect(input).toEqual([1, 3, 4]);
    const outputs = transport.decode(double(input as number[]) as number[], batch);
    expect(outputs).toEqual([2, bad, 6, 8, worse]);
    expect(outputs[1]).toBe(bad);
  });

  test("a batch of failures only is encoded empty", () => {
    const bad = errorRecordOf({}, new Error("x"));
    expect(transport.encode([bad]).input).toEqual([]);
    expect(transport.decode([], [bad])).toEqual([bad]);
  });
});
