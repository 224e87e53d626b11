/**
 * Where records go that could not be computed even after recovery. Without a
 * path it lives in memory; with one it is an SQLite database (bun:sqlite, WAL)
 * written on every `add`, so entries written before the process crashed are
 * there when it reopens. `replay` retries every entry once, through the batch
 * kernel itself (in-process, or on an executor) or a function of the record.
 */
import { Database } from "bun:sqlite";
import { type Executor, InvalidArgumentError, type Kernel, StorageError, toError } from "@poolstream/core";
import { decodeFromStore, encodeForStore } from "./store-codec.ts";

export interface DeadLetterEntry {
  readonly id: number;
  readonly record: unknown;
  /** The name of the error's class, e.g. WorkerCrashedError. */
  readonly errorType: string;
  readonly errorMessage: string;
  readonly attemptCount: number;
  /** Epoch milliseconds of the last failure. */
  readonly failedAt: number;
}

export interface DeadLetterLogOptions {
  /** An SQLite file; created if missing. Without it the log is in memory; "" is refused (SQLite would make it a temporary file). */
  readonly path?: string;
}

/** How `replay` retries a record: a batch kernel (run on `[record]`) or a function of the record. */
export type ReplayRetry<R> = Kernel<readonly unknown[], ArrayLike<R>> | ((record: unknown) => R | Promise<R>);

export interface ReplayOptions {
  /** Runs a kernel given to `replay` here instead of in-process. */
  readonly executor?: Executor;
}

export interface ReplayOutcome<R> {
  /** Entries whose retry succeeded: they left the log. */
  readonly recovered: readonly { readonly entry: DeadLetterEntry; readonly result: R }[];
  /** Entries whose retry failed again: they stay, with their attempt count raised. */
  readonly stillFailing: readonly DeadLetterEntry[];
}

interface Row {
  id: number;
  record: string;
  error_type: string;
  error_message: string;
  attempt_count: number;
  failed_at: number;
}

export class DeadLetterLog implements Disposable {
  readonly path: string | undefined;
  readonly #db: Database;
  #closed = false;
  #replaying: Promise<unknown> = Promise.resolve();

  constructor(options: DeadLetterLogOptions = {}) {
    if (options.path !== undefined && (typeof options.path !== "string" || options.path.trim() === "")) {
      // SQLite would take "" for a private temporary database: dead letters that vanish on close.
      throw new InvalidArgumentError(
        `path must name a file (or be left out for memory), got ${JSON.stringify(options.path)}`,
      );
    }
    this.path = options.path;
    try {
      this.#db = new Database(options.path ?? ":memory:", { create: true, strict: true });
      this.#db.run("PRAGMA journal_mode = WAL");
      // NORMAL: every committed add is in the WAL file, so it survives the process dying.
      this.#db.run("PRAGMA synchronous = NORMAL");
      this.#db.run("PRAGMA busy_timeout = 5000");
      this.#db.run(`CREATE TABLE IF NOT EXISTS dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        record TEXT NOT NULL,
        error_type TEXT NOT NULL,
        error_message TEXT NOT NULL,
        attempt_count INTEGER NOT NULL,
        failed_at REAL NOT NULL
      )`);
    } catch (error) {
      throw new StorageError(
        `cannot open the dead-letter log at ${options.path ?? ":memory:"}: ${toError(error).message}`,
        { cause: error },
      );
    }
  }

  /** Records a failure. Written before it returns, so it survives a crash of the process. */
  add(record: unknown, error: unknown, attemptCount: number): DeadLetterEntry {
    return this.addMany([record], error, attemptCount)[0] as DeadLetterEntry;
  }

  /**
   * Records the failure of several records in one transaction: all of them
   * are committed before it returns, or (it throws `StorageError`) none is.
   */
  addMany(records: readonly unknown[], error: unknown, attemptCount: number): DeadLetterEntry[] {
    this.#assertOpen();
    if (!Number.isInteger(attemptCount) || attemptCount < 1) {
      throw new InvalidArgumentError(`attemptCount must be an integer >= 1, got ${attemptCount}`);
    }
    const failure = toError(error);
    const failedAt = Date.now();
    const insert = this.#db.query<{ id: number }, [string, string, string, number, number]>(
      "INSERT INTO dead_letters (record, error_type, error_message, attempt_count, failed_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    );
    try {
      const encoded = records.map(encodeForStore);
      return this.#db.transaction(() =>
        encoded.map((text, i): DeadLetterEntry => {
          const row = insert.get(text, failure.name, failure.message, attemptCount, failedAt);
          if (row === null) throw new StorageError("the dead-letter log did not return the new entry's id");
          const { name: errorType, message: errorMessage } = failure;
          return { id: row.id, record: records[i], errorType, errorMessage, attemptCount, failedAt };
        }),
      )();
    } catch (cause) {
      if (cause instanceof StorageError) throw cause;
      throw new StorageError(`cannot write to the dead-letter log: ${toError(cause).message}`, { cause });
    }
  }

  /** Every entry, oldest first. */
  entries(): DeadLetterEntry[] {
    this.#assertOpen();
    return this.#db
      .query<Row, []>("SELECT * FROM dead_letters ORDER BY id")
      .all()
      .map((row) => ({
        id: row.id,
        record: decodeFromStore(row.record),
        errorType: row.error_type,
        errorMessage: row.error_message,
        attemptCount: row.attempt_count,
        failedAt: row.failed_at,
      }));
  }

  get size(): number {
    this.#assertOpen();
    return this.#db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM dead_letters").get()?.n ?? 0;
  }

  /**
   * Retries every entry once. `retry` is the batch kernel itself (each entry
   * runs alone as `[record]`, in-process or on `options.executor`; its one
   * output is the result, which may be an error record or a poison pill), or
   * a function of the record (it may be async). A success removes the entry
   * and returns it with its result; a failure keeps it with
   * `attemptCount + 1`. Replays never overlap: a second call waits for the
   * first, so no entry is retried twice at once, and one that succeeded is
   * gone before the next replay looks.
   */
  replay<R>(kernel: Kernel<readonly unknown[], ArrayLike<R>>, options?: ReplayOptions): Promise<ReplayOutcome<R>>;
  replay<R>(retry: (record: unknown) => R | Promise<R>): Promise<ReplayOutcome<R>>;
  replay<R>(retry: ReplayRetry<R>, options: ReplayOptions = {}): Promise<ReplayOutcome<R>> {
    const once = retryOf(retry, options.executor);
    const run = this.#replaying.then(() => this.#replayOnce(once));
    this.#replaying = run.catch(() => undefined);
    return run;
  }

  /** Closes the database. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #replayOnce<R>(retry: (record: unknown) => R | Promise<R>): Promise<ReplayOutcome<R>> {
    const recovered: { entry: DeadLetterEntry; result: R }[] = [];
    const stillFailing: DeadLetterEntry[] = [];
    const remove = this.#db.query<unknown, [number]>("DELETE FROM dead_letters WHERE id = ?");
    const bump = this.#db.query<unknown, [string, string, number, number]>(
      "UPDATE dead_letters SET error_type = ?, error_message = ?, attempt_count = attempt_count + 1, failed_at = ? WHERE id = ?",
    );
    for (const entry of this.entries()) {
      try {
        const result = await retry(entry.record);
        this.#assertOpen();
        remove.run(entry.id);
        recovered.push({ entry, result });
      } catch (error) {
        this.#assertOpen();
        const failure = toError(error);
        const failedAt = Date.now();
        bump.run(failure.name, failure.message, failedAt, entry.id);
        stillFailing.push({
          ...entry,
          errorType: failure.name,
          errorMessage: failure.message,
          attemptCount: entry.attemptCount + 1,
          failedAt,
        });
      }
    }
    return { recovered, stillFailing };
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageError("the dead-letter log is closed");
  }
}

/** One function of the record, whichever form `replay` was given. */
function retryOf<R>(retry: ReplayRetry<R>, executor: Executor | undefined): (record: unknown) => Promise<R> {
  if (typeof retry !== "function") {
    throw new InvalidArgumentError("replay needs the batch kernel or a function of the record");
  }
  const kernel = (retry as Partial<Kernel<readonly unknown[], ArrayLike<R>>>).kernel;
  if (kernel === undefined) return async (record) => (retry as (record: unknown) => R | Promise<R>)(record);
  const batchKernel = retry as Kernel<readonly unknown[], ArrayLike<R>>;
  return async (record) => {
    const outputs = executor === undefined ? await batchKernel([record]) : await executor.run(batchKernel, [record]);
    if (outputs === null || typeof outputs !== "object" || outputs.length !== 1) {
      throw new InvalidArgumentError(`the kernel ${kernel.exportName} returned no single output for one record`);
    }
    return outputs[0] as R;
  };
}
