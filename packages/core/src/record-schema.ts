/**
 * How the library reads the user's records. Stages never assume a record
 * shape: where one needs a field (identity for accounting, creation time for
 * latency, the value for lanes and columns) it asks a `RecordSchema`. The
 * sensor record is the default and the example; a user with
 * `{ deviceId, ts, reading }` names those fields once with `schemaOf`.
 */
import { InvalidArgumentError } from "./errors.ts";
import type { SensorRecord } from "./records.ts";

/** Accessors for the fields stages need. Each must not throw for a well-formed record. */
export interface RecordSchema<R> {
  /** Which stream the record belongs to; with `seq`, its identity. */
  sensorId(record: R): unknown;
  /** Position in its stream. */
  seq(record: R): number;
  /** The reading, as it came: it may be anything (the fault path tells kinds apart). */
  value(record: R): unknown;
  /** When the reading was taken, epoch ms. */
  timestamp(record: R): number;
  /** High-resolution epoch ms when the record was made: the start of end-to-end latency. */
  createdAt(record: R): number;
}

/** Field names of `R` for each accessor; `timestamp` defaults to `createdAt`. */
export interface SchemaFields<R> {
  readonly sensorId: keyof R & string;
  readonly seq: keyof R & string;
  readonly value: keyof R & string;
  readonly createdAt: keyof R & string;
  readonly timestamp?: keyof R & string;
}

type Fields = Record<string, unknown>;

/** A schema that reads the named fields of a plain object; anything else reads as `undefined` / NaN. */
export function schemaOf<R>(fields: SchemaFields<R>): RecordSchema<R> {
  for (const [role, name] of Object.entries(fields)) {
    if (typeof name !== "string" || name === "") {
      throw new InvalidArgumentError(`schema field for ${role} must be a non-empty field name, got ${String(name)}`);
    }
  }
  const { sensorId, seq, value, createdAt } = fields;
  const timestamp = fields.timestamp ?? createdAt;
  const read = (record: unknown, name: string): unknown =>
    typeof record === "object" && record !== null ? (record as Fields)[name] : undefined;
  const numberAt = (record: unknown, name: string): number => {
    const field = read(record, name);
    return typeof field === "number" ? field : Number.NaN;
  };
  return Object.freeze({
    sensorId: (record: R) => read(record, sensorId),
    seq: (record: R) => numberAt(record, seq),
    value: (record: R) => read(record, value),
    timestamp: (record: R) => numberAt(record, timestamp),
    createdAt: (record: R) => numberAt(record, createdAt),
  });
}

/** The default: `SensorRecord`'s own fields. */
export const sensorSchema: RecordSchema<SensorRecord> = schemaOf<SensorRecord>({
  sensorId: "sensorId",
  seq: "seq",
  value: "value",
  timestamp: "timestamp",
  createdAt: "createdAt",
});
