/**
 * Outcomes as newline-delimited JSON, one line per record, to a file or to
 * standard output, for piping into other tools (`jq`, a log shipper). A line
 * says the record's identity, its outcome and what was computed or why it
 * failed. A file is appended to, not keyed: after a restart a re-read record
 * appears again, so use the SQLite sink where each record must be once.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import {
  InvalidArgumentError,
  type RecordSchema,
  type Sink,
  type SinkBatch,
  StorageError,
  sensorSchema,
  toError,
} from "@poolstream/core";
import type { Outcome } from "./sqlite-sink.ts";

export interface NdjsonSinkOptions<R> {
  /** A file (appended to; created if missing), or "-" for standard output. */
  readonly path: string;
  readonly schema?: RecordSchema<R>;
}

export class NdjsonSink<R> implements Sink<R, unknown> {
  readonly path: string;
  readonly #fd: number;
  readonly #schema: RecordSchema<R>;
  #lines = 0;
  #closed = false;

  /** Throws `InvalidArgumentError` for a path of "", `StorageError` for a file that cannot be opened. */
  constructor(options: NdjsonSinkOptions<R>) {
    if (typeof options.path !== "string" || options.path === "") {
      throw new InvalidArgumentError('path must name a file, or be "-" for standard output');
    }
    this.path = options.path;
    this.#schema = options.schema ?? (sensorSchema as unknown as RecordSchema<R>);
    try {
      this.#fd = options.path === "-" ? 1 : openSync(options.path, "a");
    } catch (error) {
      throw new StorageError(`cannot open ${options.path} for writing: ${toError(error).message}`, { cause: error });
    }
  }

  /** Lines written so far. */
  get lines(): number {
    return this.#lines;
  }

  write(batch: SinkBatch<R, unknown>): void {
    if (this.#closed) throw new StorageError(`the NDJSON output ${this.path} is closed`);
    let text = "";
    for (let i = 0; i < batch.records.length; i++) {
      const result = batch.results[i] as { normalized?: unknown; rollingMean?: unknown; anomaly?: unknown } | null;
      text += this.#line(batch.records[i] as R, "result", batch.lane, {
        normalized: result?.normalized,
        rollingMean: result?.rollingMean,
        anomaly: result?.anomaly,
      });
    }
    for (let i = 0; i < batch.failures.length; i++) {
      const failure = batch.failures[i];
      const outcome: Outcome = failure?.status === "POISON_PILL" ? "poison" : "error";
      text += this.#line(batch.failedRecords[i] as R, outcome, batch.lane, { error: failure?.error });
    }
    for (const record of batch.deadLettered) text += this.#line(record, "dead-letter", batch.lane, {});
    if (text === "") return;
    try {
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length; ) at += writeSync(this.#fd, bytes, at);
    } catch (error) {
      throw new StorageError(`cannot write to ${this.path}: ${toError(error).message}`, { cause: error });
    }
    this.#lines += batch.records.length + batch.failures.length + batch.deadLettered.length;
  }

  /** Idempotent; standard output stays open. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#fd !== 1) closeSync(this.#fd);
  }

  #line(record: R, outcome: Outcome, lane: string, extra: Record<string, unknown>): string {
    const schema = this.#schema;
    const value = schema.value(record);
    return `${JSON.stringify({
      sensorId: schema.sensorId(record),
      seq: schema.seq(record),
      outcome,
      // JSON has no NaN or Infinity: they are written as strings, as the reading was.
      value: typeof value === "number" && !Number.isFinite(value) ? String(value) : value,
      timestamp: schema.timestamp(record),
      lane,
      ...extra,
    })}\n`;
  }
}
