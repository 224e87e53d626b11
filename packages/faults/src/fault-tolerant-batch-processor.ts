/**
 * Runs batches through the fault-tolerant kernel so that no record is lost.
 * Bad records come back as error records or poison pills from the kernel
 * itself. A batch whose call fails (a simulated crash, a worker that died, a
 * batch past its timeout) is logged and resubmitted to a separate recovery
 * pool; if that fails too, every record of the batch goes to the dead-letter
 * log. With `bisect`, a batch whose recovery failed is split in halves that
 * are retried on their own, so one bad record does not take its neighbours
 * down with it. Every record ends in exactly one place:
 * successful + failed + poison pills + dead-lettered = total.
 */
import {
  createRandom,
  deriveSeed,
  encodeColumnar,
  InFlightWindow,
  InvalidArgumentError,
  type Kernel,
  SensorInterner,
  toError,
} from "@poolstream/core";
import type { TaskExecutor } from "@poolstream/pool";
import type { DeadLetterLog } from "./dead-letter-log.ts";
import type { FailedEntry, FaultTolerantEntry, PoisonPillEntry, SuccessEntry } from "./fault-entries.ts";
import { computeFaultTolerantBatch, type FaultTolerantBatchInput } from "./kernels/compute-fault-tolerant-batch.ts";
import { computeFaultTolerantColumnar, materializeFaultTolerant } from "./kernels/compute-fault-tolerant-columnar.ts";

export interface FaultTolerantBatchProcessorOptions {
  readonly pool: TaskExecutor;
  /** Where a failed batch is retried; a separate pool, so recovery never queues behind the failing work. */
  readonly recoveryPool: TaskExecutor;
  readonly deadLetterLog: DeadLetterLog;
  /** A kernel on record objects; when given, batches travel as objects. */
  readonly computeFn?: Kernel<FaultTolerantBatchInput, readonly FaultTolerantEntry[]>;
  /**
   * How batches travel without a `computeFn`: "columnar" (the default; the
   * columnar fault-tolerant kernel, buffers transferred) or "objects".
   */
  readonly transport?: "columnar" | "objects";
  /** Default 50. */
  readonly batchSize?: number;
  /** A batch running longer is failed and its worker replaced. Default 5000 ms. */
  readonly taskTimeoutMs?: number;
  /** Chance that a kernel call simulates a crash. Default 0 (production). */
  readonly crashProbability?: number;
  /** Seed of the crash simulator: the same seed crashes the same calls. Default 1. */
  readonly seed?: number;
  /** Split a batch whose recovery failed and retry the halves. Default false. */
  readonly bisect?: boolean;
  /** Batches on the main pool at once. Default: 2 per worker. */
  readonly maxInFlight?: number;
  /** Where crash and recovery notices go. Default `console.warn`. */
  readonly log?: (line: string) => void;
}

export interface FaultCounters {
  readonly total: number;
  readonly successful: number;
  readonly failed: number;
  readonly poisonPills: number;
  /** Kernel calls that failed as a whole, on either pool. */
  readonly workerCrashes: number;
  /** Batches (or, with bisect, parts of batches) saved by the recovery pool. */
  readonly recoveries: number;
  readonly deadLettered: number;
}

export interface FaultTolerantOutcome {
  readonly results: readonly SuccessEntry[];
  readonly errorRecords: readonly FailedEntry[];
  readonly poisonPills: readonly PoisonPillEntry[];
  readonly counters: FaultCounters;
}

export class FaultTolerantBatchProcessor {
  readonly batchSize: number;
  readonly #options: FaultTolerantBatchProcessorOptions;
  readonly #computeFn: Kernel<FaultTolerantBatchInput, readonly FaultTolerantEntry[]> | undefined;
  readonly #interner = new SensorInterner();
  readonly #taskTimeoutMs: number;
  readonly #crashProbability: number;
  readonly #log: (line: string) => void;
  #batchIndex = 0;

  constructor(options: FaultTolerantBatchProcessorOptions) {
    const batchSize = options.batchSize ?? 50;
    const taskTimeoutMs = options.taskTimeoutMs ?? 5000;
    const crashProbability = options.crashProbability ?? 0;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError(`batchSize must be an integer >= 1, got ${batchSize}`);
    }
    if (!(taskTimeoutMs > 0)) throw new InvalidArgumentError(`taskTimeoutMs must be > 0, got ${taskTimeoutMs}`);
    if (!(crashProbability >= 0 && crashProbability <= 1)) {
      throw new InvalidArgumentError(`crashProbability must be in [0, 1], got ${crashProbability}`);
    }
    this.batchSize = batchSize;
    this.#options = options;
    this.#computeFn = options.computeFn ?? (options.transport === "objects" ? computeFaultTolerantBatch : undefined);
    this.#taskTimeoutMs = taskTimeoutMs;
    this.#crashProbability = crashProbability;
    this.#log = options.log ?? console.warn;
  }

  /**
   * Computes every record; resolves once each is a result, an error record, a
   * poison pill or a dead letter. Only a failure of the machinery itself (the
   * dead-letter log cannot be written) rejects: then no further batch starts,
   * the ones under way finish, and the first such error is thrown.
   */
  async process(records: readonly unknown[]): Promise<FaultTolerantOutcome> {
    const run = new RunTally(records.length);
    const maxInFlight = this.#options.maxInFlight ?? Math.max(1, this.#options.pool.stats().workers * 2);
    const window = new InFlightWindow(maxInFlight);
    let machineryFailure: { error: unknown } | undefined;
    for (let offset = 0; offset < records.length && machineryFailure === undefined; offset += this.batchSize) {
      const batch = records.slice(offset, offset + this.batchSize);
      const done = this.#runBatch(batch, this.#batchIndex++, run).catch((error: unknown) => {
        machineryFailure ??= { error };
      });
      await window.add(done);
    }
    await window.drain();
    if (machineryFailure !== undefined) throw machineryFailure.error;
    return run.outcome();
  }

  async #runBatch(batch: readonly unknown[], batchIndex: number, run: RunTally): Promise<void> {
    try {
      run.absorb(await this.#call(this.#options.pool, batch, batchIndex, 1));
    } catch (error) {
      run.workerCrashes++;
      this.#log(
        `[faults] batch ${batchIndex} (${batch.length} records) failed: ${describe(error)}; retrying on the recovery pool`,
      );
      await this.#recover(batch, batchIndex, 2, run);
    }
  }

  async #recover(batch: readonly unknown[], batchIndex: number, attempt: number, run: RunTally): Promise<void> {
    try {
      run.absorb(await this.#call(this.#options.recoveryPool, batch, batchIndex, attempt));
      run.recoveries++;
    } catch (error) {
      run.workerCrashes++;
      if (this.#options.bisect === true && batch.length > 1) {
        const middle = Math.ceil(batch.length / 2);
        this.#log(
          `[faults] recovery of batch ${batchIndex} failed: ${describe(error)}; bisecting ${batch.length} records`,
        );
        await this.#recover(batch.slice(0, middle), batchIndex, attempt + 1, run);
        await this.#recover(batch.slice(middle), batchIndex, attempt + 1, run);
        return;
      }
      this.#log(
        `[faults] recovery of batch ${batchIndex} failed: ${describe(error)}; ${batch.length} records to the dead-letter log`,
      );
      for (const record of batch) this.#options.deadLetterLog.add(record, error, attempt);
      run.deadLettered += batch.length;
    }
  }

  async #call(
    pool: TaskExecutor,
    batch: readonly unknown[],
    batchIndex: number,
    attempt: number,
  ): Promise<readonly FaultTolerantEntry[]> {
    // Decided from (seed, batch, attempt) rather than drawn in completion order, so a seed crashes the same calls every run.
    const draw = createRandom(deriveSeed(this.#options.seed ?? 1, `${batchIndex}:${attempt}:${batch.length}`))();
    const simulateCrash = draw < this.#crashProbability;
    let entries: readonly FaultTolerantEntry[];
    if (this.#computeFn !== undefined) {
      entries = await pool.run(this.#computeFn, { records: batch, simulateCrash }, { timeoutMs: this.#taskTimeoutMs });
    } else {
      const columns = encodeColumnar(batch, this.#interner);
      const output = await pool.run(
        computeFaultTolerantColumnar,
        { columns, simulateCrash },
        { timeoutMs: this.#taskTimeoutMs, transfer: [columns.buffer] },
      );
      entries = materializeFaultTolerant(batch, output);
    }
    if (!Array.isArray(entries) || entries.length !== batch.length) {
      throw new InvalidArgumentError(
        `the kernel returned ${Array.isArray(entries) ? entries.length : "no"} entries for ${batch.length} records`,
      );
    }
    return entries;
  }
}

/** The tally of one `process` call. */
class RunTally {
  readonly results: SuccessEntry[] = [];
  readonly errorRecords: FailedEntry[] = [];
  readonly poisonPills: PoisonPillEntry[] = [];
  workerCrashes = 0;
  recoveries = 0;
  deadLettered = 0;

  constructor(readonly total: number) {}

  absorb(entries: readonly FaultTolerantEntry[]): void {
    for (const entry of entries) {
      if (entry.status === "OK") this.results.push(entry);
      else if (entry.status === "FAILED") this.errorRecords.push(entry);
      else this.poisonPills.push(entry);
    }
  }

  outcome(): FaultTolerantOutcome {
    return {
      results: this.results,
      errorRecords: this.errorRecords,
      poisonPills: this.poisonPills,
      counters: Object.freeze({
        total: this.total,
        successful: this.results.length,
        failed: this.errorRecords.length,
        poisonPills: this.poisonPills.length,
        workerCrashes: this.workerCrashes,
        recoveries: this.recoveries,
        deadLettered: this.deadLettered,
      }),
    };
  }
}

function describe(error: unknown): string {
  const e = toError(error);
  return `${e.name}: ${e.message.split("\n")[0]}`;
}
