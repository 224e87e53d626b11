/**
 * This thread's side of a threaded `SqliteSink`: sends each batch's rows to
 * the writer Worker (its number columns transferred) and settles when the
 * Worker says the transaction committed. The Worker holds the program open
 * only while a write is on its way.
 */
import { StorageError, TaskFailedError } from "@poolstream/core";
import { buffersOf, type OutcomeRows } from "./outcome-rows.ts";
import type { StoredPosition } from "./outcome-store.ts";
import type { WriterReply, WriterRequest } from "./sqlite-writer-entry.ts";

const entry = new URL("./sqlite-writer-entry.ts", import.meta.url);
/** How long closing waits for the Worker to close the database before it is terminated. */
const CLOSE_TIMEOUT_MS = 5_000;

export class WriterThread {
  readonly #path: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  readonly #writes = new Set<Promise<void>>();
  #nextId = 1;
  #failure: Error | undefined;
  #closed: Promise<void> | undefined;
  #onClosed: (() => void) | undefined;

  constructor(path: string) {
    this.#path = path;
    this.#worker = new Worker(entry, { name: "poolstream-sqlite-writer" });
    this.#hold(false);
    this.#worker.addEventListener("message", (event: MessageEvent<WriterReply>) => this.#onReply(event.data));
    this.#worker.addEventListener("error", (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail(new StorageError(`the writer of ${path} crashed: ${event.message}`));
    });
    this.#worker.addEventListener("close", () => {
      this.#fail(new StorageError(`the writer of ${path} stopped`));
      this.#onClosed?.();
    });
    this.#post({ kind: "open", path });
  }

  write(rows: OutcomeRows, position: StoredPosition | undefined): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const written = new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#hold(true);
      this.#post({ kind: "write", id, rows, ...(position === undefined ? {} : { position }) }, buffersOf(rows));
    });
    this.#writes.add(written);
    const forget = () => this.#writes.delete(written);
    written.then(forget, forget);
    return written;
  }

  /** Waits for the writes on their way, closes the database, ends the Worker. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled(this.#writes);
      const gone = new Promise<void>((resolve) => {
        this.#onClosed = resolve;
      });
      this.#hold(true);
      if (this.#failure === undefined) this.#post({ kind: "close" });
      const timer = setTimeout(() => this.#worker.terminate(), CLOSE_TIMEOUT_MS);
      await gone;
      clearTimeout(timer);
    })();
    return this.#closed;
  }

  #onReply(reply: WriterReply): void {
    if (reply.kind === "written") {
      this.#settle(reply.id, undefined);
    } else if (reply.kind === "failed") {
      const cause = new TaskFailedError(reply.error);
      const error = new StorageError(`cannot write to the results database at ${this.#path}: ${reply.error.message}`, {
        cause,
      });
      if (reply.id === undefined) this.#fail(error);
      else this.#settle(reply.id, error);
    } else if (reply.kind === "closed") {
      this.#worker.terminate();
    }
  }

  #settle(id: number, error: Error | undefined): void {
    const waiting = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#hold(false);
    if (error === undefined) waiting?.resolve();
    else waiting?.reject(error);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const id of [...this.#pending.keys()]) this.#settle(id, this.#failure);
  }

  #post(message: WriterRequest, transfer?: ArrayBuffer[]): void {
    if (transfer === undefined) this.#worker.postMessage(message);
    else this.#worker.postMessage(message, transfer);
  }

  #hold(alive: boolean): void {
    const handle = this.#worker as unknown as Bun.Worker;
    if (alive) handle.ref();
    else handle.unref();
  }
}
