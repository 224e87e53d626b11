/**
 * The columnar batch format: a batch of sensor records as typed-array columns
 * in one ArrayBuffer, so it moves to a Worker by transfer (no copy) instead of
 * by cloning each record object.
 *
 * Layout of the buffer, for n records: value, timestamp, createdAt and seq as
 * Float64 (8n bytes each), then sensor codes as Uint32 (4n), then the kind of
 * each value as Uint8 (n). A value that is not a number cannot live in a
 * Float64 column; it is stored as NaN with its kind saying what it was, so the
 * fault path can still tell a string from a NaN reading.
 */
import { type RecordSchema, sensorSchema } from "./record-schema.ts";
import type { SensorRecord } from "./records.ts";
import type { SensorInterner } from "./sensor-interner.ts";

/** What a record's `value` was, for the values a Float64 column cannot hold. */
export const ValueKind = {
  number: 0,
  missing: 1,
  null: 2,
  string: 3,
  boolean: 4,
  object: 5,
  other: 6,
  /** The record itself was not an object (or was an array). */
  notARecord: 7,
  /** Reading the record's fields threw (a getter, a Proxy). */
  unreadable: 8,
} as const;
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

export interface ColumnarBatch {
  readonly length: number;
  /** Holds every column; transfer it to move the batch. */
  readonly buffer: ArrayBuffer;
  readonly value: Float64Array;
  readonly timestamp: Float64Array;
  readonly createdAt: Float64Array;
  readonly seq: Float64Array;
  /** Sensor ids as codes of a `SensorInterner` kept by the sender. */
  readonly sensor: Uint32Array;
  readonly valueKind: Uint8Array;
}

const BYTES_PER_RECORD = 8 * 4 + 4 + 1;

/** Views of the columns of a buffer that holds `length` records. */
export function columnarView(buffer: ArrayBuffer, length: number): ColumnarBatch {
  return {
    length,
    buffer,
    value: new Float64Array(buffer, 0, length),
    timestamp: new Float64Array(buffer, 8 * length, length),
    createdAt: new Float64Array(buffer, 16 * length, length),
    seq: new Float64Array(buffer, 24 * length, length),
    sensor: new Uint32Array(buffer, 32 * length, length),
    valueKind: new Uint8Array(buffer, 36 * length, length),
  };
}

export function allocateColumnarBatch(length: number): ColumnarBatch {
  return columnarView(new ArrayBuffer(BYTES_PER_RECORD * length), length);
}

export function kindOfValue(value: unknown): ValueKind {
  switch (typeof value) {
    case "number":
      return ValueKind.number;
    case "undefined":
      return ValueKind.missing;
    case "string":
      return ValueKind.string;
    case "boolean":
      return ValueKind.boolean;
    case "object":
      return value === null ? ValueKind.null : ValueKind.object;
    default:
      return ValueKind.other;
  }
}

/**
 * Encodes records into columns, reading each field through `schema` (the
 * sensor record's own fields by default). `seq`, `timestamp` and `createdAt`
 * are taken as numbers; `value` may be anything (its kind is kept); a record
 * that is not an object is encoded with kind `notARecord`, and one whose
 * fields cannot be read (a getter that throws) with kind `unreadable`.
 */
export function encodeColumnar<R = SensorRecord>(
  records: readonly R[],
  interner: SensorInterner,
  schema: RecordSchema<R> = sensorSchema as unknown as RecordSchema<R>,
): ColumnarBatch {
  const batch = allocateColumnarBatch(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as R;
    batch.value[i] = Number.NaN;
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      batch.valueKind[i] = ValueKind.notARecord;
      continue;
    }
    if (schema === (sensorSchema as unknown as RecordSchema<R>)) {
      encodeSensorRecord(batch, i, record as unknown as Partial<Record<keyof SensorRecord, unknown>>, interner);
      continue;
    }
    try {
      const value = schema.value(record);
      const kind = kindOfValue(value);
      if (kind === ValueKind.number) batch.value[i] = value as number;
      batch.valueKind[i] = kind;
      batch.timestamp[i] = schema.timestamp(record);
      batch.createdAt[i] = schema.createdAt(record);
      batch.seq[i] = schema.seq(record);
      batch.sensor[i] = interner.intern(schema.sensorId(record));
    } catch {
      batch.valueKind[i] = ValueKind.unreadable;
    }
  }
  return batch;
}

/** The default schema's fields read directly: a call per field costs a third of the encoding on the hot path. */
function encodeSensorRecord(
  batch: ColumnarBatch,
  i: number,
  record: Partial<Record<keyof SensorRecord, unknown>>,
  interner: SensorInterner,
): void {
  try {
    const value = record.value;
    const kind = kindOfValue(value);
    if (kind === ValueKind.number) batch.value[i] = value as number;
    batch.valueKind[i] = kind;
    batch.timestamp[i] = record.timestamp as number;
    batch.createdAt[i] = record.createdAt as number;
    batch.seq[i] = record.seq as number;
    batch.sensor[i] = interner.intern(record.sensorId);
  } catch {
    batch.valueKind[i] = ValueKind.unreadable;
  }
}

/** One record back from its columns (only records that were encoded with kind `number`). */
export function decodeColumnarRecord(batch: ColumnarBatch, index: number, interner: SensorInterner): SensorRecord {
  return {
    sensorId: interner.idOf(batch.sensor[index] as number) as string,
    seq: batch.seq[index] as number,
    value: batch.value[index] as number,
    timestamp: batch.timestamp[index] as number,
    createdAt: batch.createdAt[index] as number,
  };
}

export function decodeColumnar(batch: ColumnarBatch, interner: SensorInterner): SensorRecord[] {
  const records = new Array<SensorRecord>(batch.length);
  for (let i = 0; i < batch.length; i++) records[i] = decodeColumnarRecord(batch, i, interner);
  return records;
}

/**
 * True when `input` is exactly a columnar batch as `columnarView` makes it:
 * its eight fields, every column a view at its place in one ArrayBuffer of
 * the right size. Such a batch can be rebuilt from its buffer and length
 * alone, which is what lets a pool copy it through shared memory.
 */
export function isColumnarBatch(input: unknown): input is ColumnarBatch {
  if (typeof input !== "object" || input === null) return false;
  const batch = input as Partial<ColumnarBatch>;
  const { buffer, length } = batch;
  if (!(buffer instanceof ArrayBuffer) || typeof length !== "number" || !Number.isInteger(length)) return false;
  if (buffer.byteLength !== BYTES_PER_RECORD * length || Object.keys(input).length !== 8) return false;
  return (
    isViewAt(batch.value, Float64Array, buffer, 0, length) &&
    isViewAt(batch.timestamp, Float64Array, buffer, 8 * length, length) &&
    isViewAt(batch.createdAt, Float64Array, buffer, 16 * length, length) &&
    isViewAt(batch.seq, Float64Array, buffer, 24 * length, length) &&
    isViewAt(batch.sensor, Uint32Array, buffer, 32 * length, length) &&
    isViewAt(batch.valueKind, Uint8Array, buffer, 36 * length, length)
  );
}

function isViewAt(
  view: unknown,
  type: Float64ArrayConstructor | Uint32ArrayConstructor | Uint8ArrayConstructor,
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
): boolean {
  return view instanceof type && view.buffer === buffer && view.byteOffset === byteOffset && view.length === length;
}

/** Bytes a columnar batch of `length` records takes. */
export function columnarByteLength(length: number): number {
  return BYTES_PER_RECORD * length;
}

/** True once the batch's buffer was transferred away: its columns are empty and must not be read. */
export function isDetached(batch: ColumnarBatch): boolean {
  return batch.buffer.byteLength === 0 && batch.length > 0;
}
