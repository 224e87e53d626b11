import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  errorRecordOf,
  InvalidArgumentError,
  type SensorRecord,
  type SinkBatch,
  type SourceCheckpoint,
  StorageError,
} from "@poolstream/core";
import { SqliteSink, storedPosition } from "./sqlite-sink.ts";

const dir = mkdtempSync(join(tmpdir(), "poolstream-sqlite-sink-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reading = (sensorId: string, seq: number, value: unknown = seq): SensorRecord =>
  ({ sensorId, seq, value, timestamp: 1_000 + seq, createdAt: 0 }) as SensorRecord;

function batchOf(
  records: SensorRecord[],
  failed: SensorRecord[] = [],
  deadLettered: SensorRecord[] = [],
): SinkBatch<SensorRecord, unknown> {
  return {
    lane: "fifo",
    records,
    results: records.map((r) => ({ ...r, normalized: 0.5, rollingMean: 0.25, anomaly: r.seq % 2 === 0, valid: true })),
    failures: failed.map((r) =>
      Number.isNaN(r.value)
        ? { status: "POISON_PILL" as const, error: "value is NaN", originalRecord: r }
        : errorRecordOf(r, new TypeError("value is not a number")),
    ),
    failedRecords: failed,
    deadLettered,
  };
}

function rowsOf(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .query<
        {
          sensor_id: string;
          seq: number;
          outcome: string;
          value: unknown;
          normalized: number | null;
          anomaly: number | null;
          error: string | null;
        },
        []
      >("SELECT sensor_id, seq, outcome, value, normalized, anomaly, error FROM outcomes ORDER BY sensor_id, seq")
      .all();
  } finally {
    db.close();
  }
}

/** A checkpoint that records what it was told, and when. */
function recordingCheckpoint(db: () => string) {
  const events: string[] = [];
  const checkpoint: SourceCheckpoint<SensorRecord> = {
    sourceId: "file:test",
    commit(records) {
      const seqs = [...records].map((r) => r.seq);
      events.push(`commit ${seqs.join(",")} (rows visible outside: ${rowsOf(db()).length})`);
      return JSON.stringify({ upTo: Math.max(...seqs) });
    },
    acknowledge(records) {
      events.push(
        `acknowledge ${[...records].map((r) => r.seq).join(",")} (rows visible outside: ${rowsOf(db()).length})`,
      );
    },
  };
  return { checkpoint, events };
}

describe.each([
  ["on the calling thread", false],
  ["on a Worker of its own", true],
] as const)("SqliteSink, writing %s", (_mode, thread) => {
  test("one row per record: results, error records, poison pills and dead letters, each with its outcome", async () => {
    const path = join(dir, `outcomes-${thread}.sqlite`);
    await using sink = new SqliteSink<SensorRecord>({ path, thread });
    await sink.write(
      batchOf(
        [reading("a", 1), reading("a", 2)],
        [reading("b", 3, "x"), reading("b", 4, Number.NaN)],
        [reading("c", 5)],
      ),
    );
    expect(rowsOf(path)).toEqual([
      { sensor_id: "a", seq: 1, outcome: "result", value: 1, normalized: 0.5, anomaly: 0, error: null },
      { sensor_id: "a", seq: 2, outcome: "result", value: 2, normalized: 0.5, anomaly: 1, error: null },
      {
        sensor_id: "b",
        seq: 3,
        outcome: "error",
        value: "x",
        normalized: null,
        anomaly: null,
        error: "value is not a number",
      },
      {
        sensor_id: "b",
        seq: 4,
        outcome: "poison",
        value: null,
        normalized: null,
        anomaly: null,
        error: "value is NaN",
      },
      { sensor_id: "c", seq: 5, outcome: "dead-letter", value: 5, normalized: null, anomaly: null, error: null },
    ]);
    expect(sink.stats()).toEqual({ transactions: 1, rows: 5 });
  });

  test("writing a record again leaves one row, with its latest outcome; in big batches too", async () => {
    const path = join(dir, `again-${thread}.sqlite`);
    await using sink = new SqliteSink<SensorRecord>({ path, thread });
    const many = Array.from({ length: 300 }, (_, i) => reading("s", i));
    await sink.write(batchOf(many));
    await sink.write(batchOf(many.slice(0, 150)));
    await sink.write(batchOf([], [reading("s", 7, "now bad")]));
    const rows = rowsOf(path);
    expect(rows).toHaveLength(300);
    expect(rows.find((r) => r.seq === 7)?.outcome).toBe("error");
  });

  test("the source's position is stored in the batch's transaction, and acknowledged only after the commit", async () => {
    const path = join(dir, `checkpoint-${thread}.sqlite`);
    const { checkpoint, events } = recordingCheckpoint(() => path);
    await using sink = new SqliteSink<SensorRecord>({ path, checkpoint, thread });
    await sink.write(batchOf([reading("a", 1)], [reading("a", 2, "x")], [reading("a", 3)]));
    expect(events).toEqual([
      "commit 1,2,3 (rows visible outside: 0)", // inside the transaction: nobody else sees the rows yet
      "acknowledge 1,2,3 (rows visible outside: 3)",
    ]);
    expect(sink.positionOf("file:test")).toBe(JSON.stringify({ upTo: 3 }));
    expect(storedPosition(path, "file:test")).toBe(JSON.stringify({ upTo: 3 }));
    expect(storedPosition(path, "file:other")).toBeUndefined();
    expect(storedPosition(join(dir, "no-such.sqlite"), "file:test")).toBeUndefined();
  });

  test("a write that fails leaves nothing of its batch, its position included, and acknowledges nothing", async () => {
    const path = join(dir, `failing-${thread}.sqlite`);
    const acknowledged: number[] = [];
    const checkpoint: SourceCheckpoint<SensorRecord> = {
      sourceId: "file:test",
      commit: () => {
        throw new Error("the checkpoint broke");
      },
      acknowledge: (records) => acknowledged.push(...[...records].map((r) => r.seq)),
    };
    await using sink = new SqliteSink<SensorRecord>({ path, checkpoint, thread });
    expect(() => sink.write(batchOf([reading("a", 1)]))).toThrow(StorageError);
    expect(rowsOf(path)).toEqual([]);
    expect(acknowledged).toEqual([]);
  });

  test('a path of "" is refused; a file that is not a database is a StorageError naming it; close is idempotent', async () => {
    expect(() => new SqliteSink({ path: "" })).toThrow(InvalidArgumentError);
    const garbage = join(dir, `garbage-${thread}.sqlite`);
    writeFileSync(garbage, "this is not a database, not even close ".repeat(200));
    expect(() => new SqliteSink({ path: garbage, thread })).toThrow(StorageError);
    expect(() => new SqliteSink({ path: garbage, thread })).toThrow(garbage);
    const sink = new SqliteSink<SensorRecord>({ path: thread ? join(dir, "closing.sqlite") : ":memory:", thread });
    await sink.close();
    await sink.close();
    expect(() => sink.write(batchOf([reading("a", 1)]))).toThrow(StorageError);
  });
});

describe("SqliteSink on a Worker", () => {
  test("refuses :memory:, which a Worker cannot share; its Worker is gone once it is closed", async () => {
    expect(() => new SqliteSink({ path: ":memory:", thread: true })).toThrow(InvalidArgumentError);
    const sink = new SqliteSink<SensorRecord>({ path: join(dir, "gone.sqlite"), thread: true });
    await sink.write(batchOf([reading("a", 1)]));
    await sink.close();
    expect(rowsOf(join(dir, "gone.sqlite"))).toHaveLength(1);
    const writers = () =>
      readdirSync("/proc/self/task").filter((task) => {
        try {
          return readFileSync(`/proc/self/task/${task}/comm`, "utf8").startsWith("poolstream-sql");
        } catch {
          return false; // it ended while we looked
        }
      });
    for (let i = 0; i < 50 && writers().length > 0; i++) await Bun.sleep(20);
    expect(writers()).toEqual([]);
  });
});
