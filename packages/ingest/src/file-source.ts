/**
 * Readings from an NDJSON or CSV file, or from standard input: each line a
 * record, its fields mapped by name (`field-mapping.ts`). A line that does
 * not parse, or whose fields have the wrong types, becomes an error record
 * with its line number and the reason, and the run goes on. A file source
 * remembers where each record ends: its checkpoint gives the committing sink
 * the position to store, and a restarted run given that position resumes
 * after the last record whose outcome was committed. Standard input cannot
 * resume: what was read and not committed is lost if the process dies.
 */
import { basename, resolve } from "node:path";
import {
  type Clock,
  InvalidArgumentError,
  type RecordTarget,
  type SensorRecord,
  type Source,
  type SourcePosition,
  type SourceReport,
  systemClock,
} from "@poolstream/core";
import type { FieldMapping } from "./field-mapping.ts";
import { parseCsvLine } from "./internal/csv-line.ts";
import { type Line, readLines } from "./internal/line-reader.ts";
import { PositionTracker } from "./internal/position-tracker.ts";
import { buildRecord, type Problem } from "./record-from-fields.ts";

export type FileFormat = "ndjson" | "csv";

export interface FileSourceOptions {
  /** A file, or "-" for standard input. */
  readonly path: string;
  /** Default: "csv" for a path ending in .csv, else "ndjson". */
  readonly format?: FileFormat;
  /** Which of the lines' fields fill which role. Default: fields named as the roles. */
  readonly fields?: FieldMapping;
  /** Where to start: a position the checkpoint gave a sink in an earlier run. Files only. */
  readonly resumeFrom?: SourcePosition;
  /**
   * Keep a checkpoint, for a sink that stores positions (`SqliteSink`): it
   * holds an entry per record until that sink commits it, so leave it off
   * when no sink will. Default false.
   */
  readonly checkpoint?: boolean;
  /** A longer line is an error record, not read into memory. Default 1 MiB. */
  readonly maxLineBytes?: number;
  readonly clock?: Clock;
}

/** Where a file source stands: the byte just past the last line committed, and that line's number. */
interface FilePosition {
  readonly offset: number;
  readonly line: number;
}

/** A record a file source could not read: an error record that still has an identity (its file and line). */
export type UnreadableLine = SensorRecord & {
  readonly status: "FAILED";
  readonly error: string;
  readonly errorType: string;
  readonly originalRecord: { readonly source: string; readonly line: number; readonly text: string };
};

const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** How much of an unreadable line an error record keeps. */
const KEPT_TEXT = 200;

export class FileSource implements Source<SensorRecord> {
  /** The source's id: `file:<name>`, or `stdin`. */
  readonly id: string;
  readonly emitsFailures = true;
  /** Present when asked for (`checkpoint: true`): what a committing sink stores and acknowledges through. */
  readonly checkpoint?: PositionTracker<SensorRecord, FilePosition>;
  readonly format: FileFormat;
  readonly #path: string | undefined;
  readonly #mapping: FieldMapping;
  readonly #start: FilePosition;
  readonly #maxLineBytes: number;
  readonly #clock: Clock;
  #started = false;

  /** Throws `InvalidArgumentError` for options out of range, or a position that is not this source's. */
  constructor(options: FileSourceOptions) {
    if (typeof options.path !== "string" || options.path === "") {
      throw new InvalidArgumentError('path must be a file or "-" for standard input');
    }
    this.#path = options.path === "-" ? undefined : resolve(options.path);
    this.id = this.#path === undefined ? "stdin" : `file:${basename(this.#path)}`;
    this.format = options.format ?? (options.path.toLowerCase().endsWith(".csv") ? "csv" : "ndjson");
    if (this.format !== "ndjson" && this.format !== "csv") {
      throw new InvalidArgumentError(`format must be "ndjson" or "csv", got ${String(this.format)}`);
    }
    this.#mapping = options.fields ?? {};
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(this.#maxLineBytes) || this.#maxLineBytes < 1 || this.#maxLineBytes > 2 ** 30) {
      throw new InvalidArgumentError(`maxLineBytes must be an integer from 1 to 2^30, got ${this.#maxLineBytes}`);
    }
    this.#clock = options.clock ?? systemClock;
    if (options.resumeFrom !== undefined && this.#path === undefined) {
      throw new InvalidArgumentError("standard input cannot resume: it has no position to go back to");
    }
    this.#start = options.resumeFrom === undefined ? { offset: 0, line: 0 } : parsePosition(options.resumeFrom);
    if (options.checkpoint === true)
      this.checkpoint = new PositionTracker(this.id, (position) => JSON.stringify(position));
  }

  /**
   * Reads lines until the input ends or `signal` fires, putting a record (or
   * an error record) in `target` for each line that is not blank. Rejects
   * only when the input itself cannot be read (a file that is missing).
   */
  async ingest(target: RecordTarget<SensorRecord>, signal: AbortSignal): Promise<SourceReport> {
    if (this.#started) throw new InvalidArgumentError("a file source reads once");
    this.#started = true;
    let header: readonly string[] | Problem | undefined;
    if (this.format === "csv") {
      header = await this.#readHeader();
    }
    const stream = this.#open(this.#start.offset);
    let total = 0;
    try {
      for await (const lines of readLines(stream, {
        startOffset: this.#start.offset,
        firstNumber: this.#start.line + 1,
        maxLineBytes: this.#maxLineBytes,
      })) {
        for (const line of lines) {
          if (signal.aborted) return this.#report(total);
          if (this.format === "csv" && line.number === 1) continue; // the header
          if (line.text !== undefined && line.text.trim() === "") continue;
          const record = this.#recordOf(line, header);
          this.checkpoint?.issued(record, { offset: line.end, line: line.number });
          if (!target.tryPut(record)) await target.put(record, { signal });
          total++;
        }
      }
    } catch (error) {
      if (signal.aborted || (error as Error).name === "QueueClosedError") return this.#report(total);
      throw error;
    }
    return this.#report(total);
  }

  #report(total: number): SourceReport {
    return Object.freeze({ perSource: Object.freeze({ [this.id]: total }), total, errors: Object.freeze([]) });
  }

  #open(offset: number): ReadableStream<Uint8Array> {
    if (this.#path === undefined) return Bun.stdin.stream();
    const file = Bun.file(this.#path);
    return (offset > 0 ? file.slice(offset) : file).stream();
  }

  /** The CSV header, read from the start of the file whatever the resume position. */
  async #readHeader(): Promise<readonly string[] | Problem> {
    const stream = this.#open(0);
    for await (const lines of readLines(stream, { startOffset: 0, firstNumber: 1, maxLineBytes: this.#maxLineBytes })) {
      await stream.cancel().catch(() => {});
      const first = lines[0] as Line;
      if (first.text === undefined) return { problem: "the header line is too long", errorType: "RangeError" };
      const fields = parseCsvLine(first.text);
      if (!Array.isArray(fields))
        return { problem: `the header does not parse: ${fields.problem}`, errorType: "TypeError" };
      const names = fields.map((name) => name.trim());
      if (names.some((name) => name === ""))
        return { problem: "the header has an empty column name", errorType: "TypeError" };
      if (new Set(names).size !== names.length)
        return { problem: "the header names a column twice", errorType: "TypeError" };
      return names;
    }
    return { problem: "the file has no header", errorType: "TypeError" };
  }

  #recordOf(line: Line, header: readonly string[] | Problem | undefined): SensorRecord {
    const now = this.#clock.now();
    if (line.text === undefined) {
      return this.#unreadable(
        line,
        `is ${line.bytes} bytes, over the limit of ${this.#maxLineBytes}`,
        "RangeError",
        now,
      );
    }
    let fields: Record<string, unknown>;
    if (this.format === "ndjson") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.text);
      } catch (error) {
        return this.#unreadable(line, `is not JSON (${(error as Error).message})`, "SyntaxError", now);
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        const kind = parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`;
        return this.#unreadable(line, `must be a JSON object, got ${kind}`, "TypeError", now);
      }
      fields = parsed as Record<string, unknown>;
    } else {
      if (header === undefined || !Array.isArray(header)) {
        return this.#unreadable(
          line,
          `cannot be read: ${(header as Problem | undefined)?.problem ?? "no header"}`,
          "TypeError",
          now,
        );
      }
      const values = parseCsvLine(line.text);
      if (!Array.isArray(values))
        return this.#unreadable(line, `does not parse: ${values.problem}`, "SyntaxError", now);
      if (values.length !== header.length) {
        return this.#unreadable(line, `has ${values.length} fields, the header ${header.length}`, "TypeError", now);
      }
      fields = {};
      for (let i = 0; i < header.length; i++) fields[header[i] as string] = values[i];
    }
    const built = buildRecord(fields, this.#mapping, line.number, now, this.format === "csv");
    return "problem" in built ? this.#unreadable(line, built.problem, built.errorType, now) : built;
  }

  #unreadable(line: Line, reason: string, errorType: string, now: number): SensorRecord {
    const text = line.text === undefined ? "" : line.text.slice(0, KEPT_TEXT);
    const failure: UnreadableLine = {
      status: "FAILED",
      error: `line ${line.number}: ${reason}`,
      errorType,
      originalRecord: { source: this.id, line: line.number, text },
      sensorId: this.id,
      seq: line.number,
      value: Number.NaN,
      timestamp: now,
      createdAt: now,
    };
    return failure;
  }
}

function parsePosition(position: SourcePosition): FilePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(position);
  } catch {
    parsed = undefined;
  }
  const { offset, line } = (parsed ?? {}) as Partial<FilePosition>;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(line) || (offset as number) < 0 || (line as number) < 0) {
    throw new InvalidArgumentError(`resumeFrom is not a file position: ${position}`);
  }
  return { offset: offset as number, line: line as number };
}
