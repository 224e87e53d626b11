import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BoundedQueue, InvalidArgumentError, isRecordFailure, type SensorRecord } from "@poolstream/core";
import { FileSource, type FileSourceOptions, type UnreadableLine } from "./file-source.ts";

const dir = mkdtempSync(join(tmpdir(), "poolstream-file-source-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function fileWith(content: string | Uint8Array, extension = "ndjson"): string {
  const path = join(dir, `input-${++files}.${extension}`);
  writeFileSync(path, content);
  return path;
}

/** Everything the source puts, read to the end. */
async function readAll(options: FileSourceOptions): Promise<{ records: SensorRecord[]; source: FileSource }> {
  const source = new FileSource({ clock: { now: () => 1000, setTimer: () => () => {} }, ...options });
  const queue = new BoundedQueue<SensorRecord>({ capacity: 4 });
  const records: SensorRecord[] = [];
  const reading = source.ingest(queue, new AbortController().signal).then((report) => {
    queue.close();
    return report;
  });
  for (;;) {
    const next = await queue.poll();
    if (next.done) break;
    records.push(next.value);
  }
  const report = await reading;
  expect(report.total).toBe(records.length);
  return { records, source };
}

const failureOf = (record: SensorRecord) => record as UnreadableLine;

describe("FileSource, NDJSON", () => {
  test("lines become sensor records through the field mapping; seq is the line number unless a field gives it", async () => {
    const path = fileWith(
      [
        '{"deviceId":"a","reading":1.5,"ts":1700000000000}',
        '{"deviceId":"b","reading":2,"ts":"2023-11-14T22:13:20.000Z","extra":true}',
        "",
        '{"deviceId":7,"reading":-3}',
      ].join("\n"),
    );
    const { records } = await readAll({ path, fields: { sensorId: "deviceId", value: "reading", createdAt: "ts" } });
    expect(records).toEqual([
      { sensorId: "a", seq: 1, value: 1.5, timestamp: 1700000000000, createdAt: 1700000000000 },
      { sensorId: "b", seq: 2, value: 2, timestamp: 1700000000000, createdAt: 1700000000000 },
      { sensorId: "7", seq: 4, value: -3, timestamp: 1000, createdAt: 1000 },
    ]);
    const seqs = await readAll({
      path: fileWith('{"sensorId":"s","seq":41,"value":0}\n{"sensorId":"s","seq":42,"value":1}\n'),
    });
    expect(seqs.records.map((r) => r.seq)).toEqual([41, 42]);
  });

  test("the bad-line catalogue: each line an error record with its number and reason, never an exception", async () => {
    const lines = [
      '{"sensorId":"ok","value":1}',
      '{"sensorId":"s","value":',
      '{"sensorId":"s","value":"12.5"}',
      '{"sensorId":"s"}',
      '{"value":3}',
      '{"sensorId":true,"value":3}',
      '{"sensorId":"s","value":null}',
      "[1,2,3]",
      "42",
      "null",
      '{"sensorId":"s","value":1,"seq":-1}',
      '{"sensorId":"s","value":1,"timestamp":"not a date"}',
      `{"sensorId":"s","value":1,"pad":"${"x".repeat(300)}"}`,
      '{"sensorId":"ok","value":2}',
    ];
    const garbage = new Uint8Array([0xff, 0x00, 0xfe, 0x7b, 0x0a]);
    const content = new Uint8Array([...new TextEncoder().encode(`${lines.join("\n")}\n`), ...garbage]);
    const { records } = await readAll({ path: fileWith(content), maxLineBytes: 256 });
    expect(records).toHaveLength(15);
    const failures = records.filter(isRecordFailure).map((r) => failureOf(r));
    expect(failures.map((f) => f.error)).toEqual([
      expect.stringMatching(/^line 2: is not JSON \(/),
      'line 3: "value" must be a number, got a string',
      'line 4: "value" is missing',
      'line 5: "sensorId" is missing',
      'line 6: "sensorId" must be a string, got a boolean',
      'line 7: "value" must be a number, got null',
      "line 8: must be a JSON object, got an array",
      "line 9: must be a JSON object, got a number",
      "line 10: must be a JSON object, got null",
      'line 11: "seq" must be a whole number >= 0, got "-1"',
      'line 12: "timestamp" must be epoch milliseconds or a date, got "not a date"',
      "line 13: is 335 bytes, over the limit of 256",
      expect.stringMatching(/^line 15: is not JSON/),
    ]);
    for (const failure of failures) {
      expect(failure).toMatchObject({ status: "FAILED", sensorId: expect.stringMatching(/^file:/) });
      expect(failure.seq).toBe(failure.originalRecord.line);
    }
    expect(failures[0]?.originalRecord.text).toBe('{"sensorId":"s","value":');
    expect(records.filter((r) => !isRecordFailure(r)).map((r) => r.sensorId)).toEqual(["ok", "ok"]);
  });

  test("an empty file gives no records; a 10 MB line is an error record, not 10 MB of memory", async () => {
    expect((await readAll({ path: fileWith("") })).records).toEqual([]);
    const { records } = await readAll({
      path: fileWith(`{"sensorId":"a","value":"${"x".repeat(10 * 1024 * 1024)}"}\n`),
    });
    expect(records).toHaveLength(1);
    expect(failureOf(records[0] as SensorRecord).error).toMatch(
      /^line 1: is 10485\d+ bytes, over the limit of 1048576$/,
    );
  });
});

describe("FileSource, CSV", () => {
  test("a header names the columns; numbers are read from text; quoted fields keep their commas", async () => {
    const path = fileWith('device,reading,ts\n"a,1",1.5,1700000000000\nb,NaN,\nc,abc,5\nd,2\n', "csv");
    const { records } = await readAll({ path, fields: { sensorId: "device", value: "reading", timestamp: "ts" } });
    // The reading time is the data's; latency starts when the line was read (the test clock says 1000).
    expect(records[0]).toEqual({ sensorId: "a,1", seq: 2, value: 1.5, timestamp: 1700000000000, createdAt: 1000 });
    expect(records[1]).toMatchObject({ sensorId: "b", seq: 3, timestamp: 1000 });
    expect(Number.isNaN(records[1]?.value)).toBe(true); // a NaN reading: the kernel's poison pill, not the reader's error
    expect(failureOf(records[2] as SensorRecord).error).toBe('line 4: "reading" (value) is not a number: "abc"');
    expect(failureOf(records[3] as SensorRecord).error).toBe("line 5: has 2 fields, the header 3");
  });

  test("a wrong header: every line is an error record saying so", async () => {
    const path = fileWith("device,,ts\na,1,2\nb,2,3\n", "csv");
    const { records } = await readAll({ path });
    expect(records.map((r) => failureOf(r).error)).toEqual([
      "line 2: cannot be read: the header has an empty column name",
      "line 3: cannot be read: the header has an empty column name",
    ]);
    const missingColumn = await readAll({ path: fileWith("device,reading\na,1\n", "csv") });
    expect(failureOf(missingColumn.records[0] as SensorRecord).error).toBe('line 2: "sensorId" is missing');
  });
});

describe("FileSource, resuming", () => {
  test("the checkpoint moves over the longest committed prefix, and a source started there reads the rest", async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `{"sensorId":"s","value":${i}}`);
    const path = fileWith(`${lines.join("\n")}\n`);
    const first = await readAll({ path, checkpoint: true });
    const [r1, r2, r3, r4] = first.records as [SensorRecord, SensorRecord, SensorRecord, SensorRecord];
    // Out of order: 3 and 4 are committed before 2, so the position stays after 1 until 2 is.
    const checkpoint = first.source.checkpoint as NonNullable<FileSource["checkpoint"]>;
    expect(checkpoint.commit([r1])).toBeDefined();
    const afterOne = checkpoint.commit([r3, r4]);
    expect(afterOne).toBeUndefined();
    const afterFour = checkpoint.commit([r2]);
    expect(checkpoint.outstanding).toBe(6);
    expect(afterFour).toBe(JSON.stringify({ offset: 4 * (lines[0]?.length ?? 0) + 4, line: 4 }));
    const rest = await readAll({ path, resumeFrom: afterFour as string });
    expect(rest.records.map((r) => r.value)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(rest.records.map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    const csv = fileWith("sensorId,value\ns,1\ns,2\ns,3\n", "csv");
    const csvFirst = await readAll({ path: csv, checkpoint: true });
    const csvAt = csvFirst.source.checkpoint?.commit([csvFirst.records[0] as SensorRecord]);
    expect((await readAll({ path: csv })).source.checkpoint).toBeUndefined(); // nobody would commit: none kept
    expect((await readAll({ path: csv, resumeFrom: csvAt as string })).records.map((r) => r.value)).toEqual([2, 3]);
  });

  test("options are checked", () => {
    expect(() => new FileSource({ path: "" })).toThrow(InvalidArgumentError);
    expect(() => new FileSource({ path: "-", resumeFrom: '{"offset":1,"line":1}' })).toThrow(
      "standard input cannot resume",
    );
    expect(() => new FileSource({ path: "x.ndjson", resumeFrom: "nonsense" })).toThrow("resumeFrom");
    expect(() => new FileSource({ path: "x.ndjson", maxLineBytes: 0 })).toThrow("maxLineBytes");
    expect(() => new FileSource({ path: "x.txt", format: "xml" as never })).toThrow("format");
  });

  test("a file that does not exist rejects ingest with the error", async () => {
    const source = new FileSource({ path: join(dir, "missing.ndjson") });
    await expect(source.ingest(new BoundedQueue({ capacity: 1 }), new AbortController().signal)).rejects.toThrow();
  });
});
