/**
 * A part of a batch as the rows the results database stores, one per record,
 * in columns: what the writer (on this thread, or a Worker of its own) binds
 * to its upsert. Numbers travel in typed arrays, so a batch crosses to a
 * Worker as a few buffers, not a thousand small arrays.
 */
import type { RecordSchema, SinkBatch } from "@poolstream/core";

/** What a record ended as, in the `outcome` column. */
export type Outcome = "result" | "error" | "poison" | "dead-letter";
export const OUTCOMES: readonly Outcome[] = ["result", "error", "poison", "dead-letter"];

export interface OutcomeRows {
  readonly count: number;
  readonly sensorIds: string[];
  readonly seqs: Float64Array;
  /** Index into `OUTCOMES`. */
  readonly outcomes: Uint8Array;
  /** The readings as they came (numbers mostly; a string or null where the record held one). */
  readonly values: unknown[];
  /** NaN for none, in these three. */
  readonly readingTimes: Float64Array;
  readonly normalized: Float64Array;
  readonly rollingMeans: Float64Array;
  /** 1, 0, or -1 for none. */
  readonly anomalies: Int8Array;
  /** Only for error records and poison pills: by row. */
  readonly errors: (string | null)[];
  readonly errorTypes: (string | null)[];
  readonly lane: string;
  readonly writtenAt: number;
}

/** The buffers of `rows`, to transfer to a Worker. */
export function buffersOf(rows: OutcomeRows): ArrayBuffer[] {
  return [rows.seqs, rows.outcomes, rows.readingTimes, rows.normalized, rows.rollingMeans, rows.anomalies].map(
    (column) => column.buffer as ArrayBuffer,
  );
}

/** The rows of one lane's part of a batch: its results, its failures, its dead letters. */
export function rowsOf<R>(batch: SinkBatch<R, unknown>, schema: RecordSchema<R>, writtenAt: number): OutcomeRows {
  const count = batch.records.length + batch.failures.length + batch.deadLettered.length;
  const rows: OutcomeRows = {
    count,
    sensorIds: new Array<string>(count),
    seqs: new Float64Array(count),
    outcomes: new Uint8Array(count),
    values: new Array<unknown>(count),
    readingTimes: new Float64Array(count),
    normalized: new Float64Array(count).fill(Number.NaN),
    rollingMeans: new Float64Array(count).fill(Number.NaN),
    anomalies: new Int8Array(count).fill(-1),
    errors: new Array<string | null>(count).fill(null),
    errorTypes: new Array<string | null>(count).fill(null),
    lane: batch.lane,
    writtenAt,
  };
  let at = 0;
  const identify = (record: R, outcome: number) => {
    rows.sensorIds[at] = String(schema.sensorId(record));
    rows.seqs[at] = schema.seq(record);
    rows.outcomes[at] = outcome;
    rows.values[at] = storable(schema.value(record));
    const time = schema.timestamp(record);
    rows.readingTimes[at] = typeof time === "number" && Number.isFinite(time) ? time : Number.NaN;
  };
  for (let i = 0; i < batch.records.length; i++, at++) {
    identify(batch.records[i] as R, 0);
    const result = batch.results[i] as { normalized?: unknown; rollingMean?: unknown; anomaly?: unknown } | null;
    if (typeof result !== "object" || result === null) continue;
    if (typeof result.normalized === "number") rows.normalized[at] = result.normalized;
    if (typeof result.rollingMean === "number") rows.rollingMeans[at] = result.rollingMean;
    if (typeof result.anomaly === "boolean") rows.anomalies[at] = result.anomaly ? 1 : 0;
  }
  for (let i = 0; i < batch.failures.length; i++, at++) {
    const failure = batch.failures[i];
    identify(batch.failedRecords[i] as R, failure?.status === "POISON_PILL" ? 2 : 1);
    rows.errors[at] = failure?.error ?? null;
    rows.errorTypes[at] = failure !== undefined && "errorType" in failure ? failure.errorType : null;
  }
  for (const record of batch.deadLettered) {
    identify(record, 3);
    at++;
  }
  return rows;
}

/** A reading as SQLite can hold it: numbers (±Infinity included) and strings as they are, anything else as text. */
function storable(value: unknown): unknown {
  if (typeof value === "number") return Number.isNaN(value) ? null : value;
  if (typeof value === "string" || value === null || value === undefined) return value ?? null;
  if (typeof value === "bigint") return value.toString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
