import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "@poolstream/core";
import { generateFaultyRecords } from "./faulty-records.ts";
import { computeFaultTolerantRecords } from "./kernels/compute-fault-tolerant-batch.ts";

describe("generateFaultyRecords", () => {
  test("about poisonRate of the records are poison pills, malformedRate malformed; seeded", () => {
    const records = generateFaultyRecords({ count: 20_000, poisonRate: 0.05, malformedRate: 0.02, seed: 3 });
    const statuses = computeFaultTolerantRecords(records).map((e) => e.status);
    const share = (s: string) => statuses.filter((x) => x === s).length / records.length;
    expect(share("POISON_PILL")).toBeWithin(0.04, 0.06);
    expect(share("FAILED")).toBeWithin(0.015, 0.025);
    const values = () =>
      generateFaultyRecords({ count: 50, seed: 3, malformedRate: 0.3 }).map((r) =>
        typeof r === "object" && r !== null ? (r as { value?: unknown }).value : r,
      );
    expect(values()).toEqual(values());
  });

  test("rejects rates outside [0, 1]", () => {
    expect(() => generateFaultyRecords({ count: 1, poisonRate: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => generateFaultyRecords({ count: 1, poisonRate: 0.6, malformedRate: 0.6 })).toThrow(
      InvalidArgumentError,
    );
  });
});
