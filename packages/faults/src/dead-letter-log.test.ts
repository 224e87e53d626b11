import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InProcessExecutor, InvalidArgumentError, StorageError, WorkerCrashedError } from "@poolstream/core";
import { DeadLetterLog } from "./dead-letter-log.ts";
import { computeFaultTolerantBatch } from "./kernels/compute-fault-tolerant-batch.ts";

const dir = mkdtempSync(join(tmpdir(), "poolstream-dlq-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const record = (value: unknown, seq = 0) => ({ sensorId: "s", seq, value, timestamp: 1, createdAt: 2 });

describe("DeadLetterLog", () => {
  test("in memory: add, entries, size; each entry keeps the record, the error's type and message, attempts and time", () => {
    using log = new DeadLetterLog();
    const before = Date.now();
    log.add(record(1), new WorkerCrashedError("worker died"), 2);
    log.add(record(2, 1), "a thrown string", 1);
    expect(log.size).toBe(2);
    const [first, second] = log.entries();
    expect(first).toMatchObject({
      record: record(1),
      errorType: "WorkerCrashedError",
      errorMessage: "worker died",
      attemptCount: 2,
    });
    expect(first?.failedAt).toBeGreaterThanOrEqual(before);
    expect(second).toMatchObject({ errorType: "Error", errorMessage: "a thrown string", attemptCount: 1 });
    expect(() => log.add(record(3), new Error("x"), 0)).toThrow(InvalidArgumentError);
  });

  test("on disk: entries survive closing and reopening, with NaN and ±Infinity intact", () => {
    const path = join(dir, "reopen.sqlite");
    const log = new DeadLetterLog({ path });
    log.add(record(Number.NaN), new Error("poison"), 2);
    log.add(record(Infinity, 1), new Error("poison"), 2);
    log.add(record(-Infinity, 2), new Error("poison"), 2);
    log.close();
    log.close(); // idempotent
    expect(() => log.size).toThrow(StorageError);
    using reopened = new DeadLetterLog({ path });
    const values = reopened.entries().map((e) => (e.record as { value: number }).value);
    expect(Number.isNaN(values[0])).toBe(true);
    expect(values.slice(1)).toEqual([Infinity, -Infinity]);
  });

  test("entries written before the process crashes are there when the log reopens", () => {
    const path = join(dir, "crash.sqlite");
    const script = `
      import { DeadLetterLog } from ${JSON.stringify(new URL("./dead-letter-log.ts", import.meta.url).pathname)};
      const log = new DeadLetterLog({ path: ${JSON.stringify(path)} });
      for (let i = 0; i < 5; i++) log.add({ seq: i, value: i === 3 ? NaN : i }, new Error("boom"), 2);
      process.exit(9); // no close(): the process dies with the log open
    `;
    const child = Bun.spawnSync(["bun", "-e", script], { stderr: "pipe" });
    expect(child.exitCode).toBe(9);
    using log = new DeadLetterLog({ path });
    const entries = log.entries();
    expect(entries.map((e) => (e.record as { seq: number }).seq)).toEqual([0, 1, 2, 3, 4]);
    expect(Number.isNaN((entries[3]?.record as { value?: number } | undefined)?.value)).toBe(true);
  });

  test("replay: successes leave the log and are returned; failures stay with one more attempt", async () => {
    using log = new DeadLetterLog();
    for (let i = 0; i < 4; i++) log.add(record(i, i), new Error("first failure"), 2);
    const outcome = await log.replay((r) => {
      const { value } = r as { value: number };
      if (value % 2 === 1) throw new RangeError(`still bad: ${value}`);
      return value * 10;
    });
    expect(outcome.recovered.map((r) => r.result)).toEqual([0, 20]);
    expect(outcome.stillFailing.map((e) => [e.attemptCount, e.errorType])).toEqual([
      [3, "RangeError"],
      [3, "RangeError"],
    ]);
    expect(log.entries().map((e) => [(e.record as { value: number }).value, e.attemptCount, e.errorMessage])).toEqual([
      [1, 3, "still bad: 1"],
      [3, 3, "still bad: 3"],
    ]);
  });

  test("replay is idempotent: twice, or twice at once, never yields a result twice", async () => {
    using log = new DeadLetterLog();
    for (let i = 0; i < 6; i++) log.add(record(i, i), new Error("x"), 2);
    let calls = 0;
    const retry = async (r: unknown) => {
      calls++;
      await Bun.sleep(1);
      return (r as { seq: number }).seq;
    };
    const [a, b] = await Promise.all([log.replay(retry), log.replay(retry)]);
    const third = await log.replay(retry);
    const results = [...a.recovered, ...b.recovered, ...third.recovered].map((r) => r.result);
    expect(results.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(calls).toBe(6);
    expect(log.size).toBe(0);
  });

  test('a corrupt file is a StorageError naming it; a path of "" is refused', () => {
    const path = join(dir, "corrupt.sqlite");
    writeFileSync(path, "this is not a database ".repeat(200));
    const error = (() => {
      try {
        new DeadLetterLog({ path }).close();
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toContain(path);
    expect((error as StorageError).message).toContain("not a database");
    for (const bad of ["", "   ", 42 as unknown as string]) {
      expect(() => new DeadLetterLog({ path: bad })).toThrow(InvalidArgumentError);
    }
  });

  test("addMany commits every record in one transaction, or none when it fails", () => {
    const path = join(dir, "all-or-none.sqlite");
    using log = new DeadLetterLog({ path });
    const entries = log.addMany([record(1), record(2, 1), record(3, 2)], new Error("batch lost"), 3);
    expect(entries.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(log.entries().map((e) => [e.attemptCount, e.errorMessage])).toEqual([
      [3, "batch lost"],
      [3, "batch lost"],
      [3, "batch lost"],
    ]);
    // A real failure in the middle of the transaction: SQLite refuses the second record of the batch.
    const saboteur = new Database(path);
    saboteur.run(
      `CREATE TRIGGER refuse BEFORE INSERT ON dead_letters WHEN NEW.record LIKE '%refuse me%'
       BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
    );
    saboteur.close();
    expect(() => log.addMany([record(4, 3), { note: "refuse me" }], new Error("x"), 1)).toThrow(StorageError);
    expect(log.size).toBe(3);
    log.close();
    expect(() => log.addMany([record(4)], new Error("x"), 1)).toThrow(StorageError);
  });

  test("replay takes the batch kernel itself, in-process or on an executor; its outputs are the results", async () => {
    using log = new DeadLetterLog();
    log.add(record(Number.NaN), new WorkerCrashedError("worker died"), 2);
    log.add(record(40, 1), new WorkerCrashedError("worker died"), 2);
    log.add(record("12.5", 2), new WorkerCrashedError("worker died"), 2);
    const inProcess = await log.replay(computeFaultTolerantBatch);
    expect(inProcess.recovered.map((r) => r.result.status)).toEqual(["POISON_PILL", "OK", "FAILED"]);
    expect(inProcess.stillFailing).toEqual([]);
    expect(log.size).toBe(0);

    log.add(record(10, 3), new Error("x"), 2);
    await using executor = new InProcessExecutor();
    const onExecutor = await log.replay(computeFaultTolerantBatch, { executor });
    expect(onExecutor.recovered.map((r) => r.result)).toMatchObject([{ status: "OK", seq: 3, value: 10 }]);
    expect(executor.stats().completed).toBe(1);
    expect(() => log.replay(undefined as never)).toThrow(InvalidArgumentError);
  });
});
