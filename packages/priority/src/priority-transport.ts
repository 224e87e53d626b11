/**
 * How priority batches travel: as objects, or (the default) as transferred
 * columns plus a lane column, with results joined back into objects here.
 */
import { encodeColumnar, SensorInterner } from "@poolstream/core";
import type { BatchTransport } from "@poolstream/pool";
import { Priority } from "./classify.ts";
import {
  computePriorityBatch,
  computePriorityColumnar,
  type PriorityBatchInput,
  type PriorityColumns,
  type PriorityResult,
} from "./kernels/compute-priority-batch.ts";
import type { PrioritizedRecord } from "./priority-batch-queue.ts";

export type PriorityTransport = BatchTransport<PrioritizedRecord, unknown, unknown, PriorityResult[]>;

export function priorityObjectTransport(workPerRecord = 0): PriorityTransport {
  const transport: BatchTransport<
    PrioritizedRecord,
    PriorityBatchInput<readonly PrioritizedRecord[]>,
    PriorityResult[],
    PriorityResult[]
  > = {
    name: "objects",
    kernel: computePriorityBatch,
    encode: (batch) => ({ input: { records: batch, workPerRecord } }),
    decode: (results) => results,
  };
  return transport as PriorityTransport;
}

export function priorityColumnarTransport(workPerRecord = 0, interner = new SensorInterner()): PriorityTransport {
  const transport: BatchTransport<
    PrioritizedRecord,
    PriorityBatchInput<PriorityColumns>,
    Float64Array,
    PriorityResult[]
  > = {
    name: "columnar",
    kernel: computePriorityColumnar,
    encode(batch) {
      const columns = encodeColumnar(batch, interner);
      const critical = new Uint8Array(batch.length);
      batch.forEach((record, i) => {
        critical[i] = record.priority === Priority.critical ? 1 : 0;
      });
      return { input: { records: { columns, critical }, workPerRecord }, transfer: [columns.buffer, critical.buffer] };
    },
    decode: (scores, batch) =>
      batch.map((record, i): PriorityResult => {
        const score = scores[i] as number;
        return record.priority === Priority.critical
          ? { ...record, priority: Priority.critical, urgencyScore: score }
          : { ...record, priority: Priority.normal, normalized: score };
      }),
  };
  return transport as PriorityTransport;
}
