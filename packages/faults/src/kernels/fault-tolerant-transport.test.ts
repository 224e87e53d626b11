import { describe, expect, test } from "bun:test";
import { InProcessExecutor, InvalidArgumentError, runBatch, schemaOf, sensorSchema } from "@poolstream/core";
import fc from "fast-check";
import { computeFaultTolerantRecords } from "./compute-fault-tolerant-batch.ts";
import { faultTolerantTransport } from "./fault-tolerant-transport.ts";

const withValue = (value: unknown, seq = 0) => ({
  sensorId: `s${seq % 3}`,
  seq,
  value,
  timestamp: seq,
  createdAt: seq,
});

/** Good readings, poison pills and malformed records, mixed. */
const mixed: unknown[] = [
  withValue(40, 0),
  withValue(Number.NaN, 1),
  withValue(90, 2),
  withValue("17", 3),
  42,
  withValue(-Infinity, 5),
  withValue(null, 6),
  withValue(Number.MAX_VALUE, 7),
  { sensorId: "s", seq: 8, timestamp: 8, createdAt: 8 },
  withValue(-0, 9),
  withValue(65.5, 10),
];

describe("faultTolerantTransport", () => {
  test("both wires give the same entries for mixed good, poison and malformed records", async () => {
    await using executor = new InProcessExecutor();
    const viaColumns = await runBatch(executor, faultTolerantTransport<unknown>("columnar"), mixed);
    const viaObjects = await runBatch(executor, faultTolerantTransport<unknown>("objects"), mixed);
    expect(viaColumns).toEqual(viaObjects);
    expect(viaObjects).toEqual(computeFaultTolerantRecords(mixed));
    expect(viaObjects.map((entry) => entry.status)).toEqual([
      "OK",
      "POISON_PILL",
      "OK",
      "FAILED",
      "FAILED",
      "POISON_PILL",
      "FAILED",
      "FAILED",
      "FAILED",
      "OK",
      "OK",
    ]);
    for (const [i, entry] of viaObjects.entries()) {
      if (entry.status !== "OK") expect(entry.originalRecord).toBe(mixed[i]);
    }
  });

  test("property: the wires agree for any records", () => {
    const record = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          sensorId: fc.constantFrom("a", "b"),
          seq: fc.nat(),
          value: fc.oneof(fc.double(), fc.anything()),
          timestamp: fc.nat(),
          createdAt: fc.nat(),
        }),
      },
      { weight: 1, arbitrary: fc.anything() },
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), (records) => {
        const entries = ["columnar", "objects"].map((wire) => {
          const transport = faultTolerantTransport<unknown>(wire as "columnar" | "objects");
          return transport.decode(transport.kernel(transport.encode(records).input) as never, records);
        });
        expect(entries[0]).toEqual(entries[1] as never);
      }),
      { seed: 31, numRuns: 200 },
    );
  });

  test("the columnar wire reads records of another shape through a schema", async () => {
    interface Reading {
      readonly deviceId: string;
      readonly n: number;
      readonly reading: unknown;
      readonly ts: number;
    }
    const schema = schemaOf<Reading>({ sensorId: "deviceId", seq: "n", value: "reading", createdAt: "ts" });
    const readings: Reading[] = [
      { deviceId: "d", n: 0, reading: 10, ts: 0 },
      { deviceId: "d", n: 1, reading: Number.NaN, ts: 1 },
      { deviceId: "d", n: 2, reading: "hot", ts: 2 },
      { deviceId: "d", n: 3, reading: 30, ts: 3 },
    ];
    await using executor = new InProcessExecutor();
    const entries = await runBatch(executor, faultTolerantTransport("columnar", { schema }), readings);
    expect(entries.map((entry) => entry.status)).toEqual(["OK", "POISON_PILL", "FAILED", "OK"]);
    expect(entries[0]).toMatchObject({ deviceId: "d", n: 0, normalized: 0, valid: true });
    expect(entries[3]).toMatchObject({ n: 3, normalized: 1, anomaly: true });
    expect(entries[2]).toMatchObject({ error: 'value is not a number (a string: "hot")', errorType: "TypeError" });
  });

  test("the objects wire refuses a schema it could not follow on a worker", () => {
    const schema = schemaOf<{ v: number; id: string; n: number; t: number }>({
      sensorId: "id",
      seq: "n",
      value: "v",
      createdAt: "t",
    });
    expect(() => faultTolerantTransport("objects", { schema })).toThrow(InvalidArgumentError);
    expect(faultTolerantTransport("objects", { schema: sensorSchema }).name).toBe("objects");
    expect(() => faultTolerantTransport("pigeons" as "objects")).toThrow(InvalidArgumentError);
  });
});
