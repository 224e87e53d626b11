/**
 * Where records go that could not be computed even after recovery. Without a
 * path it lives in memory; with one it is an SQLite database (bun:sqlite, WAL)
 * written on every `add`, so entries written before the process crashed are
 * there when it reopens. `replay` retries every entry once, through the batch
 * kernel itself (in-process, or on an executor) or a function of the record.
 *
 * Replay is at-least-once, with leases as SQS and Lambda use them: an entry is
 * leased (holder, expiry) in a `BEGIN IMMEDIATE` transaction before its retry,
 * so that no other replayer, in this process or another, takes it meanwhile;
 * its result is handed to the caller (`deliver`, or the returned outcome), and
 * only then is the entry removed. A replayer that dies holding leases loses
 * nothing: its entries return to the log when their leases expire.
 */
import { Database } from "bun:sqlite";
import {
  checkDurationMs,
  decodeFromStore,
  type Executor,
  encodeForStore,
  InvalidArgumentError,
  type Kernel,
  StorageError,
  systemClock,
  TaskTimeoutError,
  toError,
} from "@poolstream/core";

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

export interface ReplayOptions<R = unknown> {
  /** Runs a kernel given to `replay` here instead of in-process. */
  readonly executor?: Executor;
  /**
   * Takes each recovered entry and its result before the entry is removed
   * (write it to your sink here): when it resolves, the entry leaves the log;
   * when it throws, the entry stays (its lease released) and replay stops
   * with that error. Without it, recovered entries are removed together just
   * before `replay` resolves with them.
   */
  readonly deliver?: (recovered: { readonly entry: DeadLetterEntry; readonly result: R }) => void | Promise<void>;
  /** How long one retry may take before it counts as failed. Default 30 s. */
  readonly retryTimeoutMs?: number;
  /**
   * How long a lease holds an entry for this replayer; a replayer that dies
   * holding it loses it after this. Must exceed `retryTimeoutMs`. Default 60 s.
   */
  readonly leaseMs?: number;
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
  lease_holder: string | null;
  lease_expires: number | null;
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
        failed_at REAL NOT NULL,
        lease_holder TEXT,
        lease_expires REAL
      )`);
      // A log written before leases existed gets their columns.
      const columns = this.#db.query<{ name: string }, []>("PRAGMA table_info(dead_letters)").all();
      if (!columns.some((c) => c.name === "lease_holder")) {
        this.#db.run("ALTER TABLE dead_letters ADD COLUMN lease_holder TEXT");
        this.#db.run("ALTER TABLE dead_letters ADD COLUMN lease_expires REAL");
      }
      // A replayer renews its leases after every entry: by holder, so without a scan of the whole log.
      this.#db.run("CREATE INDEX IF NOT EXISTS dead_letters_by_lease_holder ON dead_letters (lease_holder)");
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
    return this.#db.query<Row, []>("SELECT * FROM dead_letters ORDER BY id").all().map(entryOf);
  }

  get size(): number {
    this.#assertOpen();
    return this.#db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM dead_letters").get()?.n ?? 0;
  }

  /**
   * Retries every entry once. `retry` is the batch kernel itself (each entry
   * runs alone as `[record]`, in-process or on `options.executor`; its one
   * output is the result, which may be an error record or a poison pill), or
   * a function of the record (it may be async). Each entry is leased before
   * its retry (see the module comment), so concurrent replayers, in this
   * process or others, never recover an entry twice. A success is handed to
   * `options.deliver` (or returned) and only then removed; a failure, or a
   * retry past `retryTimeoutMs` (`TaskTimeoutError`), keeps the entry with
   * `attemptCount + 1`. Replays of one log instance run one after the other.
   */
  replay<R>(kernel: Kernel<readonly unknown[], ArrayLike<R>>, options?: ReplayOptions<R>): Promise<ReplayOutcome<R>>;
  replay<R>(retry: (record: unknown) => R | Promise<R>, options?: ReplayOptions<R>): Promise<ReplayOutcome<R>>;
  replay<R>(retry: ReplayRetry<R>, options: ReplayOptions<R> = {}): Promise<ReplayOutcome<R>> {
    const once = retryOf(retry, options.executor);
    const retryTimeoutMs = checkDurationMs("retryTimeoutMs", options.retryTimeoutMs ?? 30_000);
    const leaseMs = checkDurationMs("leaseMs", options.leaseMs ?? Math.max(60_000, 2 * retryTimeoutMs));
    if (leaseMs <= retryTimeoutMs) {
      throw new InvalidArgumentError(`leaseMs (${leaseMs}) must be longer than retryTimeoutMs (${retryTimeoutMs})`);
    }
    const settings = { retryTimeoutMs, leaseMs, deliver: options.deliver };
    const run = this.#replaying.then(() => this.#replayOnce(once, settings));
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

  async #replayOnce<R>(
    retry: (record: unknown) => R | Promise<R>,
    settings: { retryTimeoutMs: number; leaseMs: number; deliver: ReplayOptions<R>["deliver"] },
  ): Promise<ReplayOutcome<R>> {
    this.#assertOpen();
    const holder = `${process.pid}:${crypto.randomUUID()}`;
    const recovered: { entry: DeadLetterEntry; result: R }[] = [];
    const stillFailing: DeadLetterEntry[] = [];
    const db = this.#db;
    const next = db.query<Row, [number, number]>(
      "SELECT * FROM dead_letters WHERE id > ? AND (lease_expires IS NULL OR lease_expires < ?) ORDER BY id LIMIT 1",
    );
    const take = db.query<unknown, [string, number, number]>(
      "UPDATE dead_letters SET lease_holder = ?, lease_expires = ? WHERE id = ?",
    );
    const remove = db.query<unknown, [number, string]>("DELETE FROM dead_letters WHERE id = ? AND lease_holder = ?");
    const release = db.query<unknown, [number, string]>(
      "UPDATE dead_letters SET lease_holder = NULL, lease_expires = NULL WHERE id = ? AND lease_holder = ?",
    );
    // A failed retry raises the attempt count and sets the lease's expiry: to now (free again) for a
    // retry that failed, and a full lease ahead for one abandoned at its deadline, which may still be
    // running and must not be run a second time meanwhile.
    const bump = db.query<unknown, [string, string, number, number, number, string]>(
      `UPDATE dead_letters SET error_type = ?, error_message = ?, attempt_count = attempt_count + 1, failed_at = ?,
       lease_expires = ? WHERE id = ? AND lease_holder = ?`,
    );
    // Every lease this replayer holds is renewed after each step, so none runs out while it is alive.
    const renew = db.query<unknown, [number, string]>(
      "UPDATE dead_letters SET lease_expires = ? WHERE lease_holder = ?",
    );
    const stillOurs = db.query<{ n: number }, [number, string]>(
      "SELECT COUNT(*) AS n FROM dead_letters WHERE id = ? AND lease_holder = ?",
    );
    // IMMEDIATE takes the write lock before it reads, so two replayers cannot both see an entry as free.
    const lease = db.transaction((after: number): Row | null => {
      const row = next.get(after, Date.now());
      if (row !== null) take.run(holder, Date.now() + settings.leaseMs, row.id);
      return row;
    }).immediate;
    const storage = <T>(what: string, write: () => T): T => {
      this.#assertOpen();
      try {
        return write();
      } catch (cause) {
        throw new StorageError(`cannot ${what} in the dead-letter log${this.#where()}: ${toError(cause).message}`, {
          cause,
        });
      }
    };
    const renewAll = () => storage("renew its leases", () => renew.run(Date.now() + settings.leaseMs, holder));
    let after = 0;
    for (;;) {
      const row = storage("lease an entry", () => lease(after));
      if (row === null) break;
      after = row.id;
      const entry = entryOf(row);
      let result: R;
      try {
        result = await withDeadline(
          Promise.resolve().then(() => retry(entry.record)),
          settings.retryTimeoutMs,
        );
      } catch (error) {
        const failure = toError(error);
        const failedAt = Date.now();
        const expires = failure instanceof TaskTimeoutError ? failedAt + settings.leaseMs : failedAt;
        storage("record a failed retry", () =>
          bump.run(failure.name, failure.message, failedAt, expires, entry.id, holder),
        );
        stillFailing.push({
          ...entry,
          errorType: failure.name,
          errorMessage: failure.message,
          attemptCount: entry.attemptCount + 1,
          failedAt,
        });
        renewAll();
        continue;
      }
      renewAll();
      if (settings.deliver === undefined) {
        recovered.push({ entry, result });
        continue;
      }
      // Delivered only while the lease is still this replayer's: otherwise another has the entry.
      if ((storage("check a lease", () => stillOurs.get(entry.id, holder))?.n ?? 0) === 0) continue;
      try {
        await settings.deliver({ entry, result });
      } catch (error) {
        storage("release a lease", () => release.run(entry.id, holder));
        throw error;
      }
      storage("remove a recovered entry", () => remove.run(entry.id, holder));
      recovered.push({ entry, result });
      renewAll();
    }
    if (settings.deliver === undefined && recovered.length > 0) {
      // Handed to the caller with the outcome: removed together, just before it is returned. An entry
      // whose lease was lost meanwhile (the replayer stalled past leaseMs) is another's now: not reported.
      const kept = storage("remove recovered entries", () =>
        db.transaction(() => recovered.filter(({ entry }) => remove.run(entry.id, holder).changes === 1))(),
      );
      return { recovered: kept, stillFailing };
    }
    return { recovered, stillFailing };
  }

  #where(): string {
    return this.path === undefined ? "" : ` at ${this.path}`;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageError("the dead-letter log is closed");
  }
}

function entryOf(row: Row): DeadLetterEntry {
  return {
    id: row.id,
    record: decodeFromStore(row.record),
    errorType: row.error_type,
    errorMessage: row.error_message,
    attemptCount: row.attempt_count,
    failedAt: row.failed_at,
  };
}

/** `work`, or a `TaskTimeoutError`-like failure after `ms`; the timer never outlives it. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let cancel: (() => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    cancel = systemClock.setTimer(ms, () => reject(new TaskTimeoutError(ms)));
  });
  return Promise.race([work, late]).finally(() => cancel?.());
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
