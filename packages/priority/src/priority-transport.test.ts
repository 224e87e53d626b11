import { describe, expect, test } from "bun:test";
import {
  InProcessExecutor,
  InvalidArgumentError,
  runBatch,
  SensorInterner,
  type SensorRecord,
  schemaOf,
} from "@poolstream/core";
import { Priority } from "./classify.ts";
import { computePriorityRecords } from "./kernels/compute-priority-batch.ts";
import { priorityColumnarTransport, priorityObjectTransport } from "./priority-transport.ts";

const plain = (value: number, seq = 0): SensorRecord => ({
  sensorId: `s${seq % 2}`,
  seq,
  value,
  timestamp: seq,
  createdAt: seq,
});
const batch = [
  plain(95, 0),
  plain(40, 1),
  plain(Number.NaN, 2),
  plain(3, 3),
  { ...plain(50, 4), priority: Priority.critical },
];

describe("priority transports", () => {
  test("objects and columns, with and without work, give the same results for plain records", async () => {
    await using executor = new InProcessExecutor();
    const expected = computePriorityRecords(batch);
    for (const transport of [
      priorityObjectTransport(),
      priorityObjectTransport(200),
      priorityColumnarTransport(),
      priorityColumnarTransport(200, { interner: new SensorInterner() }),
    ]) {
      expect(await runBatch(executor, transport, batch)).toEqual(expected);
    }
  });

  test("the columnar transport reads records of another shape and classifies them with its thresholds", async () => {
    interface Reading {
      readonly deviceId: string;
      readonly n: number;
      readonly reading: unknown;
      readonly ts: number;
    }
    const schema = schemaOf<Reading>({ sensorId: "deviceId", seq: "n", value: "reading", createdAt: "ts" });
    const readings: Reading[] = [
      { deviceId: "d", n: 0, reading: 45, ts: 0 },
      { deviceId: "d", n: 1, reading: 60, ts: 1 },
      { deviceId: "d", n: 2, reading: "offline", ts: 2 },
    ];
    const transport = priorityColumnarTransport(0, { schema, thresholds: { overheat: 50, failure: 10 } });
    await using executor = new InProcessExecutor();
    const [normal, hot, offline] = await runBatch(executor, transport, readings);
    expect(normal).toEqual({ ...readings[0], priority: "NORMAL", normalized: 0.45 } as never);
    expect(hot).toMatchObject({ deviceId: "d", n: 1, priority: "CRITICAL" });
    expect(hot && "urgencyScore" in hot ? hot.urgencyScore : undefined).toBeCloseTo(20);
    expect(offline).toMatchObject({ reading: "offline", priority: "CRITICAL", urgencyScore: 100 });
  });

  test("the columnar encoding hands both of its buffers over for transfer", () => {
    const { input, transfer } = priorityColumnarTransport().encode(batch);
    const { columns, critical } = input as { columns: { buffer: ArrayBuffer }; critical: Uint8Array };
    expect(transfer).toEqual([columns.buffer, critical.buffer]);
    expect(Array.from(critical)).toEqual([1, 0, 1, 1, 1]);
  });

  test("bad work or thresholds are refused", () => {
    for (const work of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => priorityObjectTransport(work)).toThrow(InvalidArgumentError);
      expect(() => priorityColumnarTransport(work)).toThrow(InvalidArgumentError);
    }
    expect(() => priorityColumnarTransport(0, { thresholds: { overheat: 10, failure: 20 } })).toThrow(
      InvalidArgumentError,
    );
  });
});
