import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, type SensorRecord, StorageError } from "@poolstream/core";
import { NdjsonSink } from "./ndjson-sink.ts";

const dir = mkdtempSync(join(tmpdir(), "poolstream-ndjson-sink-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reading = (seq: number, value: number): SensorRecord => ({
  sensorId: "s",
  seq,
  value,
  timestamp: 5,
  createdAt: 0,
});

describe("NdjsonSink", () => {
  test("a line per record, with its outcome; NaN and Infinity as strings; appended across sinks", () => {
    const path = join(dir, "out.ndjson");
    for (let run = 0; run < 2; run++) {
      const sink = new NdjsonSink<SensorRecord>({ path });
      sink.write({
        lane: "NORMAL",
        records: [reading(1, 2)],
        results: [{ normalized: 0.5, rollingMean: 0.5, anomaly: false }],
        failures: [{ status: "POISON_PILL", error: "value is Infinity", originalRecord: {} }],
        failedRecords: [reading(2, Number.POSITIVE_INFINITY)],
        deadLettered: [reading(3, 4)],
      });
      sink.close();
      sink.close();
      expect(sink.lines).toBe(3);
    }
    const lines = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(6);
    expect(lines.slice(0, 3)).toEqual([
      {
        sensorId: "s",
        seq: 1,
        outcome: "result",
        value: 2,
        timestamp: 5,
        lane: "NORMAL",
        normalized: 0.5,
        rollingMean: 0.5,
        anomaly: false,
      },
      {
        sensorId: "s",
        seq: 2,
        outcome: "poison",
        value: "Infinity",
        timestamp: 5,
        lane: "NORMAL",
        error: "value is Infinity",
      },
      { sensorId: "s", seq: 3, outcome: "dead-letter", value: 4, timestamp: 5, lane: "NORMAL" },
    ]);
  });

  test("bad paths: typed errors", () => {
    expect(() => new NdjsonSink({ path: "" })).toThrow(InvalidArgumentError);
    expect(() => new NdjsonSink({ path: join(dir, "no", "such", "dir.ndjson") })).toThrow(StorageError);
  });
});
