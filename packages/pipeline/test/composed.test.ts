/**
 * Every capability at once, on the real Worker pool: priority lanes, the
 * adaptive sizer, recover-then-dead-letter with bisection, simulated crashes
 * on both executors, a sink; as a property over seeds and fault rates.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AdaptiveSizer } from "@poolstream/batching";
import { columnarTransport, objectTransport, type RecordFailure, type Sink, type SinkBatch } from "@poolstream/core";
import {
  DeadLetterLog,
  type FaultTolerantEntry,
  faultTolerantTransport,
  generateFaultyRecords,
  recoverThenDeadLetter,
  withSimulatedCrashes,
} from "@poolstream/faults";
import { WorkerPool } from "@poolstream/pool";
import { classify, Priority, priorityLanes } from "@poolstream/priority";
import fc from "fast-check";
import { pipeline } from "../src/pipeline.ts";
import { type Doubled, doubleColumns, doubleReadings, type Reading, readingSchema } from "./fixtures/kernels.ts";

/** A record's identity: sensor id + seq, or the record itself when it is not an object. */
const identityOf = (record: unknown): string =>
  typeof record === "object" && record !== null
    ? `${String((record as { sensorId?: unknown }).sensorId)}#${String((record as { seq?: unknown }).seq)}`
    : `raw:${String(record)}`;

class DeliveredSink implements Sink<unknown, FaultTolerantEntry> {
  /** Identities in the order they were delivered, per lane. */
  readonly byLane = new Map<string, string[]>();
  readonly wrongLane: string[] = [];
  closed = false;
  write(batch: SinkBatch<unknown, FaultTolerantEntry>): void {
    const delivered = this.byLane.get(batch.lane) ?? [];
    this.byLane.set(batch.lane, delivered);
    // Results and failures are split apart in a SinkBatch; put them back in record order to check lane order.
    const parts = [
      ...batch.records.map((record) => record),
      ...batch.failures.map((failure) => failure.originalRecord),
    ];
    for (const record of parts) {
      if (classify(record) !== batch.lane) this.wrongLane.push(identityOf(record));
    }
    const ordered = parts.map(identityOf).sort((a, b) => this.#position(a) - this.#position(b));
    delivered.push(...ordered);
  }
  close(): void {
    this.closed = true;
  }
  positions = new Map<string, number>();
  #position(id: string): number {
    return this.positions.get(id) ?? -1;
  }
}

const perMille = (max: number) => fc.integer({ min: 0, max }).map((n) => n / 1000);

let pool: WorkerPool;
let recovery: WorkerPool;
beforeAll(() => {
  pool = new WorkerPool({ size: 2, name: "main" });
  recovery = new WorkerPool({ size: 1, name: "recovery" });
});
afterAll(async () => {
  await pool.close();
  await recovery.close();
});

describe("the composed pipeline (priority lanes + adaptive sizer + recover-then-dead-letter + a sink)", () => {
  for (const wire of ["columnar", "objects"] as const) {
    test(`property (${wire}): every record is accounted for exactly once, by identity; order holds within a lane`, async () => {
      const seen = { deadLetters: 0, recoveries: 0, errorRecords: 0, poisonPills: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 100_000 }),
          // Rates in per mille: fast-check's doubles crowd at the bounds, which left every path but one untried.
          perMille(200),
          perMille(100),
          perMille(400),
          fc.integer({ min: 0, max: 600 }),
          async (seed, poisonRate, malformedRate, crashRate, count) => {
            const records = generateFaultyRecords({ count, poisonRate, malformedRate, seed });
            using log = new DeadLetterLog();
            const sink = new DeliveredSink();
            records.forEach((record, i) => {
              sink.positions.set(identityOf(record), i);
            });
            const lanes = priorityLanes<unknown>({ capacity: 64, classify });
            // A batch takes NORMAL records only once the CRITICAL lane is empty: none is left behind them.
            // Checked at every take, the moment it happens.
            let criticalLeftBehind = 0;
            const take = lanes.take.bind(lanes);
            lanes.take = (max, counts, laterLimit) => {
              const batch = take(max, counts, laterLimit);
              if ((counts[1] ?? 0) > 0 && lanes.depth(0) > 0) criticalLeftBehind++;
              return batch;
            };
            const p = pipeline<unknown, FaultTolerantEntry>({
              source: records,
              executor: withSimulatedCrashes(pool, { probability: crashRate, seed }),
              transport: faultTolerantTransport(wire),
              lanes,
              sizer: new AdaptiveSizer(),
              failurePolicy: recoverThenDeadLetter({
                recoveryExecutor: withSimulatedCrashes(recovery, { probability: crashRate, seed: seed + 1 }),
                deadLetterLog: log,
                bisect: true,
                maxAttempts: 3, // low enough that some records run out of attempts
              }),
              sinks: [sink],
            });
            const report = await p.run();

            // By identity: results + error records + poison pills + dead letters = the input, each once.
            const accounted = [
              ...[...sink.byLane.values()].flat(),
              ...log.entries().map((entry) => identityOf(entry.record)),
            ].sort();
            expect(accounted).toEqual(records.map(identityOf).sort());
            expect(report.accounting).toMatchObject({ entered: count, unwritten: 0, leftInLanes: 0, holds: true });
            expect(report.accounting.deadLetters).toBe(log.size);
            seen.deadLetters += report.accounting.deadLetters;
            seen.recoveries += report.counters.recoveries;
            seen.errorRecords += report.accounting.errorRecords;
            seen.poisonPills += report.accounting.poisonPills;
            expect(sink.wrongLane).toEqual([]);
            expect(criticalLeftBehind).toBe(0);
            expect(sink.closed).toBe(true);
            // Within a lane, records are delivered in the order they entered it (dead letters aside).
            const deadLettered = new Set(log.entries().map((entry) => identityOf(entry.record)));
            for (const lane of [Priority.critical, Priority.normal]) {
              const expected = records
                .filter((record) => classify(record) === lane)
                .map(identityOf)
                .filter((id) => !deadLettered.has(id));
              expect(sink.byLane.get(lane) ?? []).toEqual(expected);
            }
          },
        ),
        { seed: 2026, numRuns: 20 },
      );
      // The runs went down every path: recovered batches, dead letters, error records, poison pills.
      expect(Object.entries(seen).filter(([, n]) => n === 0)).toEqual([]);
    }, 120_000);
  }

  test("on a record type of the test's own, through both transports, read through its schema", async () => {
    // Readings outside [20, 80] are CRITICAL; "x" is an error record, NaN a poison pill, 666 fails its whole batch.
    const source: Reading[] = Array.from({ length: 400 }, (_, n) => ({
      deviceId: `dev-${n % 7}`,
      n,
      reading: n === 50 ? "x" : n === 51 ? Number.NaN : n === 123 ? 666 : (n * 37) % 100,
      ts: performance.timeOrigin + performance.now(),
    }));
    const key = (r: unknown) => `${(r as Reading).deviceId}#${(r as Reading).n}`;
    for (const wire of ["objects", "columnar"] as const) {
      using log = new DeadLetterLog();
      const delivered: string[] = [];
      const laneOf = new Map<string, string>();
      const sink: Sink<Reading, Doubled | number> = {
        write(batch: SinkBatch<Reading, Doubled | number>) {
          for (const record of batch.records) delivered.push(key(record));
          for (const failure of batch.failures as RecordFailure[]) delivered.push(key(failure.originalRecord));
          for (const record of batch.records) laneOf.set(key(record), batch.lane);
        },
        close() {},
      };
      const transport =
        wire === "objects"
          ? objectTransport(doubleReadings)
          : columnarTransport<Reading, Float64Array>(doubleColumns, undefined, { schema: readingSchema });
      const report = await pipeline<Reading, Doubled | number>({
        source,
        executor: pool,
        transport,
        schema: readingSchema,
        lanes: priorityLanes({ schema: readingSchema, thresholds: { failure: 20, overheat: 80 } }),
        sizer: new AdaptiveSizer(),
        failurePolicy: recoverThenDeadLetter({ recoveryExecutor: recovery, deadLetterLog: log, bisect: true }),
        sinks: [sink],
      }).run();
      const accountedFor = [...delivered, ...log.entries().map((entry) => key(entry.record))].sort();
      expect(accountedFor).toEqual(source.map(key).sort());
      expect(report.accounting.holds).toBe(true);
      expect(laneOf.get("dev-0#0")).toBe("CRITICAL"); // reading 0
      expect(laneOf.get("dev-1#1")).toBe("NORMAL"); // reading 37
      if (wire === "objects") {
        expect(report.accounting).toMatchObject({ errorRecords: 1, poisonPills: 1, deadLetters: 1 });
        expect(log.entries().map((entry) => key(entry.record))).toEqual(["dev-4#123"]);
      } else {
        expect(report.accounting).toMatchObject({ results: 400, deadLetters: 0 });
      }
    }
  }, 60_000);
});
