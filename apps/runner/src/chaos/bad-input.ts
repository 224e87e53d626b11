/**
 * The bad-input catalogue: every kind of value a reading can hold, and every
 * kind of thing a record can be, through the fault-tolerant kernel on both
 * wires, inside one pipeline with recovery, bisection and a dead-letter log;
 * and each stored in the dead-letter log and read back. What must hold: no
 * exception escapes a kernel or the pipeline, every record is accounted for,
 * the good neighbours are computed, and the log keeps each value as it was
 * or says explicitly what it could not keep.
 */
import { fixedSize, runBatch, type SensorRecord } from "@poolstream/core";
import {
  computeFaultTolerantBatch,
  DeadLetterLog,
  type FaultTolerantWire,
  faultTolerantTransport,
  recoverThenDeadLetter,
} from "@poolstream/faults";
import { pipeline } from "@poolstream/pipeline";
import { WorkerPool } from "@poolstream/pool";

const good = (seq: number): SensorRecord => ({ sensorId: "ok", seq, value: seq % 100, timestamp: 0, createdAt: 0 });

/** A record for each case: a reading's value of that kind, or a record that is itself that kind. */
export function badInputCatalogue(seq: number): readonly (readonly [string, () => unknown])[] {
  const withValue = (value: unknown) => ({ ...good(seq), value });
  return [
    ["value NaN", () => withValue(Number.NaN)],
    ["value +Infinity", () => withValue(Number.POSITIVE_INFINITY)],
    ["value -Infinity", () => withValue(Number.NEGATIVE_INFINITY)],
    ["value null", () => withValue(null)],
    ["value undefined", () => withValue(undefined)],
    [
      "value missing",
      () => {
        const { value: _, ...rest } = good(seq);
        return rest;
      },
    ],
    ["value a string", () => withValue("12.5")],
    ["value a boolean", () => withValue(true)],
    ["value a nested object", () => withValue({ reading: 12.5, unit: "°C" })],
    ["value an array", () => withValue([1, 2, 3])],
    ["value a BigInt", () => withValue(10n)],
    ["value a Date", () => withValue(new Date(1_700_000_000_000))],
    ["value a Map", () => withValue(new Map([["a", 1]]))],
    ["value a Set", () => withValue(new Set([1, 2]))],
    ["value a Symbol", () => withValue(Symbol("reading"))],
    ["value a function", () => withValue(() => 12.5)],
    ["value a 10 MB string", () => withValue("x".repeat(10 * 1024 * 1024))],
    ["record a Proxy", () => new Proxy(good(seq), {})],
    [
      "record cyclic",
      () => {
        const record: Record<string, unknown> = { ...good(seq) };
        record.self = record;
        return record;
      },
    ],
    [
      "record with a throwing getter",
      () =>
        Object.defineProperty({ ...good(seq) }, "value", {
          enumerable: true,
          get() {
            throw new Error("the getter exploded");
          },
        }),
    ],
    ["record a number", () => 42],
    ["record a string", () => "sensor-1,42.0"],
    ["record null", () => null],
    ["record undefined", () => undefined],
    ["record an array", () => [1, 2, 3]],
    ["record a boolean", () => false],
  ];
}

export interface BadInputCase {
  readonly name: string;
  /** Where the case's record ended on each wire: result, error record, poison pill, dead letter. */
  readonly outcomes: Readonly<Record<FaultTolerantWire, string>>;
  /** Threw out of the kernel when called directly, or out of the pipeline's `run()`. */
  readonly escaped: number;
  /** Read back from the dead-letter log different from what was stored, without saying so. */
  readonly silentlyAltered: boolean;
}

export interface BadInputResult {
  readonly cases: readonly BadInputCase[];
  readonly escaped: number;
  readonly silentAlterations: number;
  /** Good records next to the bad ones that were not computed. */
  readonly neighboursNotComputed: number;
  /** Every record accounted for on every wire. */
  readonly accountingHolds: boolean;
  /** The kernel and `runBatch` with an empty batch: one output per record (none), no exception. */
  readonly emptyBatchOk: boolean;
}

const NEIGHBOURS = 3;

export async function runBadInput(): Promise<BadInputResult> {
  const catalogue = badInputCatalogue(NEIGHBOURS);
  const outcomes = new Map<string, Record<FaultTolerantWire, string>>();
  const escapes = new Map<string, number>();
  const noteEscape = (name: string) => escapes.set(name, (escapes.get(name) ?? 0) + 1);
  let neighboursNotComputed = 0;
  let accountingHolds = true;
  await using pool = new WorkerPool({ size: 2, name: "bad-input" });
  await using recovery = new WorkerPool({ size: 1, name: "bad-input-r" });
  for (const [name, make] of catalogue) {
    // Called directly, the kernel never throws for bad data: it returns an entry for each record.
    try {
      const entries = computeFaultTolerantBatch([good(0), make() as SensorRecord, good(1)]);
      if (entries.length !== 3) noteEscape(name);
    } catch {
      noteEscape(name);
    }
    const ended: Partial<Record<FaultTolerantWire, string>> = {};
    for (const wire of ["objects", "columnar"] as const) {
      using log = new DeadLetterLog();
      const records = [good(0), good(1), make(), good(2)];
      const where = new Map<number, string>();
      try {
        const report = await pipeline<unknown>({
          source: records,
          executor: pool,
          transport: faultTolerantTransport(wire),
          sizer: fixedSize(records.length),
          failurePolicy: recoverThenDeadLetter({ recoveryExecutor: recovery, deadLetterLog: log, bisect: true }),
          sinks: [
            {
              write(batch) {
                for (const record of batch.records) where.set(records.indexOf(record), "result");
                for (const failure of batch.failures) {
                  const index = records.indexOf(failure.originalRecord);
                  // A failure's record may come back cloned: the bad one is the only record not found as itself.
                  where.set(index >= 0 ? index : 2, failure.status === "POISON_PILL" ? "poison pill" : "error record");
                }
              },
              close() {},
            },
          ],
        }).run();
        if (!report.accounting.holds || report.accounting.entered !== records.length) accountingHolds = false;
        if (log.size > 0) where.set(2, "dead letter");
        for (const index of [0, 1, 3]) if (where.get(index) !== "result") neighboursNotComputed++;
        ended[wire] = where.get(2) ?? "nowhere";
      } catch {
        noteEscape(name);
        ended[wire] = "the pipeline threw";
      }
    }
    outcomes.set(name, ended as Record<FaultTolerantWire, string>);
  }
  const altered = new Set(catalogue.filter(([, make]) => !storedFaithfully(make())).map(([name]) => name));
  const emptyBatchOk = await emptyBatch(pool);
  const cases = catalogue.map(([name]) => ({
    name,
    outcomes: outcomes.get(name) as Record<FaultTolerantWire, string>,
    escaped: escapes.get(name) ?? 0,
    silentlyAltered: altered.has(name),
  }));
  return {
    cases,
    escaped: [...escapes.values()].reduce((sum, n) => sum + n, 0),
    silentAlterations: altered.size,
    neighboursNotComputed,
    accountingHolds,
    emptyBatchOk,
  };
}

async function emptyBatch(pool: WorkerPool): Promise<boolean> {
  try {
    const direct = computeFaultTolerantBatch([]);
    const objects = await runBatch(pool, faultTolerantTransport("objects"), []);
    const columns = await runBatch(pool, faultTolerantTransport("columnar"), []);
    return direct.length === 0 && objects.length === 0 && columns.length === 0;
  } catch {
    return false;
  }
}

/** Stores `record` as a dead letter and reads it back: the same, or what could not be kept described as such. */
export function storedFaithfully(record: unknown): boolean {
  using log = new DeadLetterLog();
  log.add(record, new Error("bad input"), 1);
  const [entry] = log.entries();
  return entry !== undefined && sameOrDescribed(record, entry.record, new Set());
}

function isDescription(value: unknown): boolean {
  return typeof value === "object" && value !== null && "unstorable" in value && "description" in value;
}

/** Deep equality that knows NaN, -0, Date, Map, Set and typed arrays, and accepts an explicit description of what cannot be stored. */
function sameOrDescribed(original: unknown, stored: unknown, seen: Set<object>): boolean {
  if (typeof original === "function" || typeof original === "symbol") return isDescription(stored);
  if (typeof original !== "object" || original === null) return Object.is(original, stored);
  if (seen.has(original)) return isDescription(stored); // a cycle
  if (typeof stored !== "object" || stored === null) return false;
  seen.add(original);
  try {
    if (original instanceof Date) return stored instanceof Date && Object.is(original.getTime(), stored.getTime());
    if (original instanceof Map) {
      if (!(stored instanceof Map) || stored.size !== original.size) return false;
      return [...original].every(([key, value]) => sameOrDescribed(value, stored.get(key), seen));
    }
    if (original instanceof Set) {
      if (!(stored instanceof Set) || stored.size !== original.size) return false;
      return [...original].every((value) => stored.has(value));
    }
    if (ArrayBuffer.isView(original)) {
      const a = original as unknown as ArrayLike<unknown>;
      const b = stored as ArrayLike<unknown>;
      return (
        stored.constructor === original.constructor &&
        a.length === b.length &&
        Array.from(a).every((v, i) => Object.is(v, b[i]))
      );
    }
    const keys = Object.keys(original);
    if (keys.length !== Object.keys(stored).length) return false;
    return keys.every((key) => {
      let value: unknown;
      try {
        value = (original as Record<string, unknown>)[key];
      } catch {
        return isDescription((stored as Record<string, unknown>)[key]); // a throwing getter
      }
      return sameOrDescribed(value, (stored as Record<string, unknown>)[key], seen);
    });
  } finally {
    seen.delete(original);
  }
}
