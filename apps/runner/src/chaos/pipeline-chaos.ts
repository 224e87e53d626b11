/**
 * The pipeline scenario: records, some of them faulty, through one
 * `pipeline(...)` with recovery on a second pool, bisection and a dead-letter
 * log in SQLite, on threads or processes. Afterwards every record is looked
 * for by its id in the sink and in the log: it must be there exactly once,
 * where its kind says (innocent records computed with the right value, bad
 * values as error records or poison pills, faulty records as dead letters).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRandom, fixedSize, objectTransport, type RecordSchema, type Sink } from "@poolstream/core";
import { DeadLetterLog, recoverThenDeadLetter } from "@poolstream/faults";
import { pipeline } from "@poolstream/pipeline";
import { type HostPool, WorkerPool } from "@poolstream/pool";
import { ProcessPool } from "@poolstream/process";
import { childProcesses, settlesWithin, threadsNamed } from "./census.ts";
import { type ChaosRecord, chaosBatch } from "./chaos-kernels.ts";
import { drawFault, type ExecutorKind, FaultClass, faultWeights } from "./faults.ts";

export interface PipelineChaosOptions {
  readonly kind: ExecutorKind;
  readonly records: number;
  readonly batchSize: number;
  /** Share of batches holding a faulty record, in [0, 1]. */
  readonly faultShare: number;
  readonly seed: number;
  readonly workers: number;
  readonly taskTimeoutMs: number;
}

/** Where the records of one kind ended, and how many did not end where they should. */
export interface RecordTally {
  records: number;
  results: number;
  errorRecords: number;
  poisonPills: number;
  deadLetters: number;
  /** In no outcome at all. */
  lost: number;
  /** In more than one outcome, or twice in one. */
  duplicated: number;
  /** In one outcome, but not the one its kind says (or a result with a wrong value). */
  misplaced: number;
}

export interface PipelineChaosResult {
  readonly kind: ExecutorKind;
  /** By the fault its record carried (`none` for innocent ones, `bad value` for NaN or a string). */
  readonly perKind: ReadonlyMap<string, RecordTally>;
  readonly lost: number;
  readonly duplicated: number;
  readonly misplaced: number;
  readonly accountingHolds: boolean;
  readonly failedCalls: number;
  readonly recoveries: number;
  readonly elapsedMs: number;
  readonly threadsLeft: number;
  readonly processesLeft: number;
}

/** The faults a record can carry here: the executor scenario's, less a slow module (a pipeline has one kernel). */
const PIPELINE_FAULTS: ReadonlySet<FaultClass> = new Set([
  FaultClass.throws,
  FaultClass.rejects,
  FaultClass.exits,
  FaultClass.uncaught,
  FaultClass.stray,
  FaultClass.unclonable,
  FaultClass.hangs,
  FaultClass.hangsAsync,
  FaultClass.unsendable,
  FaultClass.killed,
  FaultClass.exhaustsMemory,
]);

const POOL_NAME = "chaos-pipe";

/** The records have no creation time: latency is not what this scenario measures. */
const chaosSchema: RecordSchema<ChaosRecord> = {
  sensorId: () => "chaos",
  seq: (record) => record.id,
  value: (record) => record.value,
  timestamp: () => 0,
  createdAt: () => performance.timeOrigin + performance.now(),
};

type Outcome = "result" | "errorRecord" | "poisonPill" | "deadLetter";

function openPool(kind: ExecutorKind, size: number, taskTimeoutMs: number, name: string): HostPool {
  return kind === "workers"
    ? new WorkerPool({ size, taskTimeoutMs, name })
    : new ProcessPool({ size, taskTimeoutMs, forwardStderr: false, name });
}

export async function runPipelineChaos(options: PipelineChaosOptions): Promise<PipelineChaosResult> {
  const records = makeRecords(options);
  const dir = mkdtempSync(join(tmpdir(), "poolstream-chaos-"));
  const outcomes = new Map<number, Outcome[]>();
  const wrongValues = new Set<number>();
  const note = (id: number, outcome: Outcome) => {
    const seen = outcomes.get(id);
    if (seen === undefined) outcomes.set(id, [outcome]);
    else seen.push(outcome);
  };
  const sink: Sink<ChaosRecord, number> = {
    write(batch) {
      for (let i = 0; i < batch.records.length; i++) {
        const record = batch.records[i] as ChaosRecord;
        note(record.id, "result");
        if (batch.results[i] !== (record.value as number) * 2) wrongValues.add(record.id);
      }
      for (const failure of batch.failures) {
        const id = (failure.originalRecord as ChaosRecord).id;
        note(id, failure.status === "POISON_PILL" ? "poisonPill" : "errorRecord");
      }
    },
    close() {},
  };
  const started = performance.now();
  let report: Awaited<ReturnType<ReturnType<typeof pipeline>["run"]>>;
  try {
    await using main = openPool(options.kind, options.workers, options.taskTimeoutMs, `${POOL_NAME}-m`);
    await using recovery = openPool(options.kind, 1, options.taskTimeoutMs, `${POOL_NAME}-r`);
    using deadLetters = new DeadLetterLog({ path: join(dir, "dead-letters.sqlite") });
    report = await pipeline({
      source: records,
      executor: main,
      transport: objectTransport(chaosBatch),
      sizer: fixedSize(options.batchSize),
      failurePolicy: recoverThenDeadLetter({ recoveryExecutor: recovery, deadLetterLog: deadLetters, bisect: true }),
      sinks: [sink],
      taskTimeoutMs: options.taskTimeoutMs,
      schema: chaosSchema,
    }).run();
    for (const entry of deadLetters.entries()) note((entry.record as ChaosRecord).id, "deadLetter");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const elapsedMs = performance.now() - started;
  await settlesWithin(() => threadsNamed(POOL_NAME) === 0 && childProcesses().length === 0, 1_000);

  const perKind = new Map<string, RecordTally>();
  let lost = 0;
  let duplicated = 0;
  let misplaced = 0;
  for (const record of records) {
    const kind = kindOf(record);
    let tally = perKind.get(kind);
    if (tally === undefined) {
      tally = {
        records: 0,
        results: 0,
        errorRecords: 0,
        poisonPills: 0,
        deadLetters: 0,
        lost: 0,
        duplicated: 0,
        misplaced: 0,
      };
      perKind.set(kind, tally);
    }
    tally.records++;
    const seen = outcomes.get(record.id) ?? [];
    for (const outcome of seen) tally[`${outcome}s` as "results" | "errorRecords" | "poisonPills" | "deadLetters"]++;
    if (seen.length === 0) {
      tally.lost++;
      lost++;
    } else if (seen.length > 1) {
      tally.duplicated++;
      duplicated++;
    } else if (seen[0] !== expectedOutcomeOf(record) || wrongValues.has(record.id)) {
      tally.misplaced++;
      misplaced++;
    }
  }
  return {
    kind: options.kind,
    perKind,
    lost,
    duplicated,
    misplaced,
    accountingHolds: report.accounting.holds,
    failedCalls: report.counters.failedCalls,
    recoveries: report.counters.recoveries,
    elapsedMs,
    threadsLeft: threadsNamed(POOL_NAME),
    processesLeft: childProcesses().length,
  };
}

/** Seeded records: about `faultShare` of the batches hold one faulty record; 2 % have a bad value. */
function makeRecords(options: PipelineChaosOptions): ChaosRecord[] {
  const random = createRandom(options.seed);
  const weights = new Map(
    [...faultWeights(options.kind, 1)].filter(([fault]) => PIPELINE_FAULTS.has(fault)).map(([f, w]) => [f, w] as const),
  );
  const total = [...weights.values()].reduce((sum, w) => sum + w, 0);
  for (const [fault, weight] of weights) weights.set(fault, weight / total);
  const perRecord = options.faultShare / options.batchSize;
  return Array.from({ length: options.records }, (_, id): ChaosRecord => {
    const roll = random();
    const value = roll < 0.01 ? Number.NaN : roll < 0.02 ? `reading ${id}` : (id % 100) / 10;
    if (random() >= perRecord) return { id, value };
    const fault = drawFault(weights, random);
    return fault === FaultClass.unsendable ? { id, value, fault, extra: () => id } : { id, value, fault };
  });
}

function kindOf(record: ChaosRecord): string {
  if (record.fault !== undefined && record.fault !== FaultClass.stray) return record.fault;
  if (typeof record.value !== "number" || !Number.isFinite(record.value)) return "bad value";
  return record.fault === FaultClass.stray ? FaultClass.stray : FaultClass.none;
}

function expectedOutcomeOf(record: ChaosRecord): Outcome {
  if (record.fault !== undefined && record.fault !== FaultClass.stray) return "deadLetter";
  if (typeof record.value !== "number") return "errorRecord";
  if (!Number.isFinite(record.value)) return "poisonPill";
  return "result";
}
