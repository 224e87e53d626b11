/**
 * The fault-tolerant kernels as one transport, by how batches travel: the
 * choice a pipeline makes with one argument. Columns carry records of any
 * shape (read through a schema on this thread); objects carry sensor records
 * as they are.
 */
import {
  type BatchTransport,
  columnarTransport,
  InvalidArgumentError,
  objectTransport,
  type RecordSchema,
  type SensorInterner,
  type SensorRecord,
  sensorSchema,
} from "@poolstream/core";
import type { FaultTolerantEntry } from "../fault-entries.ts";
import { computeFaultTolerantBatch } from "./compute-fault-tolerant-batch.ts";
import { computeFaultTolerantColumnar, materializeFaultTolerant } from "./compute-fault-tolerant-columnar.ts";

/** How a fault-tolerant batch travels to its kernel. */
export type FaultTolerantWire = "columnar" | "objects";

/** Options of `faultTolerantTransport`. */
export interface FaultTolerantTransportOptions<R> {
  /**
   * How to read the records: the sensor record's fields by default. Only the
   * columnar wire can use another one (a schema is code, and code does not
   * travel to a worker).
   */
  readonly schema?: RecordSchema<R>;
  /** The sensor-id table of the columnar wire; it stays on this thread. Default: a fresh one. */
  readonly interner?: SensorInterner;
}

/**
 * Runs batches through the fault-tolerant kernel, giving one entry per record
 * in order: a result, an error record or a poison pill. Both wires give the
 * same entries for the same records. Throws `InvalidArgumentError` for the
 * objects wire with a schema other than the sensor record's, which its kernel
 * could not follow.
 */
export function faultTolerantTransport<R = SensorRecord>(
  wire: FaultTolerantWire,
  options: FaultTolerantTransportOptions<R> = {},
): BatchTransport<R, unknown, unknown, FaultTolerantEntry[]> {
  const { schema, interner } = options;
  if (wire === "objects") {
    if (schema !== undefined && (schema as unknown) !== sensorSchema) {
      throw new InvalidArgumentError(
        "the objects wire reads each record's `value` field on the worker and cannot use a schema: use the columnar wire",
      );
    }
    return objectTransport(computeFaultTolerantBatch) as BatchTransport<R, unknown, unknown, FaultTolerantEntry[]>;
  }
  if (wire !== "columnar") throw new InvalidArgumentError(`wire must be "columnar" or "objects", got ${String(wire)}`);
  return columnarTransport(
    computeFaultTolerantColumnar,
    (output, batch: readonly R[]) => materializeFaultTolerant(batch, output, schema),
    { ...(schema === undefined ? {} : { schema }), ...(interner === undefined ? {} : { interner }) },
  ) as BatchTransport<R, unknown, unknown, FaultTolerantEntry[]>;
}
