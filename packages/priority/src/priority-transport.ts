/**
 * How priority batches travel: as objects (the kernel classifies records that
 * carry no lane), or as transferred columns plus a lane column decided here,
 * with the scores joined back into objects here. Either way plain records go
 * in and `PriorityResult`s come out.
 */
import {
  type BatchTransport,
  encodeColumnar,
  InvalidArgumentError,
  objectTransport,
  type RecordSchema,
  SensorInterner,
  type SensorRecord,
  sensorSchema,
} from "@poolstream/core";
import { checkThresholds, classifierFor, DEFAULT_THRESHOLDS, Priority, type Thresholds } from "./classify.ts";
import {
  computePriorityBatch,
  computePriorityColumnar,
  computePriorityWork,
  declaredPriority,
  type PriorityColumns,
  type PriorityResult,
} from "./kernels/compute-priority-batch.ts";

/** Records of type `R` in, one `PriorityResult` per record out, in order. */
export type PriorityTransport<R = SensorRecord> = BatchTransport<R, unknown, unknown, PriorityResult<R>[]>;

/** Options of `priorityColumnarTransport`. */
export interface PriorityColumnarTransportOptions<R> {
  /** How to read the records: the sensor record's fields by default. */
  readonly schema?: RecordSchema<R>;
  /** The safe range; a record outside it is CRITICAL. Default (15, 85). */
  readonly thresholds?: Partial<Thresholds>;
  /** The sensor-id table; it stays on this thread. Default: a fresh one. */
  readonly interner?: SensorInterner;
}

/**
 * Records travel as objects. A record's own `priority` is kept; one without
 * is classified on the worker with the default thresholds. `workPerRecord`
 * adds simulated analysis work (trigonometric operations) per record.
 */
export function priorityObjectTransport(workPerRecord = 0): PriorityTransport {
  checkWork(workPerRecord);
  if (workPerRecord === 0) return objectTransport(computePriorityBatch) as PriorityTransport;
  return {
    name: "objects",
    kernel: computePriorityWork,
    encode: (batch) => ({ input: { records: batch, workPerRecord } }),
    decode: (results) => results,
  } as BatchTransport<SensorRecord, unknown, PriorityResult[], PriorityResult[]> as PriorityTransport;
}

/**
 * Records of any shape travel as transferred columns read through `schema`,
 * with a lane column decided here: a record's own `priority` is kept, any
 * other is classified by its value against `thresholds`. The scores come back
 * as one transferred column and are joined with the records here. Throws
 * `InvalidArgumentError` for bad thresholds or work.
 */
export function priorityColumnarTransport<R = SensorRecord>(
  workPerRecord = 0,
  options: PriorityColumnarTransportOptions<R> = {},
): PriorityTransport<R> {
  checkWork(workPerRecord);
  const schema = options.schema ?? (sensorSchema as unknown as RecordSchema<R>);
  const thresholds = checkThresholds(options.thresholds);
  const classifier = classifierFor({ schema, thresholds });
  const priorityOf = (record: R): Priority => declaredPriority(record) ?? classifier(record);
  const interner = options.interner ?? new SensorInterner();
  const defaultThresholds =
    thresholds.overheat === DEFAULT_THRESHOLDS.overheat && thresholds.failure === DEFAULT_THRESHOLDS.failure;
  const transport: BatchTransport<R, PriorityColumns, Float64Array, PriorityResult<R>[]> = {
    name: "columnar",
    kernel: computePriorityColumnar,
    encode(batch) {
      const columns = encodeColumnar(batch, interner, schema);
      const critical = new Uint8Array(batch.length);
      batch.forEach((record, i) => {
        critical[i] = priorityOf(record) === Priority.critical ? 1 : 0;
      });
      const input: PriorityColumns = { columns, critical, workPerRecord, ...(defaultThresholds ? {} : { thresholds }) };
      return { input, transfer: [columns.buffer, critical.buffer] };
    },
    // The lane column went to the worker; deciding the lanes again gives the same ones (the classifier is pure).
    decode: (scores, batch) =>
      batch.map((record, i): PriorityResult<R> => {
        const score = scores[i] as number;
        return priorityOf(record) === Priority.critical
          ? { ...record, priority: Priority.critical, urgencyScore: score }
          : { ...record, priority: Priority.normal, normalized: score };
      }),
  };
  return transport as PriorityTransport<R>;
}

function checkWork(workPerRecord: number): void {
  if (!(Number.isFinite(workPerRecord) && workPerRecord >= 0)) {
    throw new InvalidArgumentError(`workPerRecord must be a finite number >= 0, got ${workPerRecord}`);
  }
}
