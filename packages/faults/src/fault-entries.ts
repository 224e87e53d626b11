/**
 * What the fault-tolerant kernels make of each record: a result, an error
 * record, or a poison pill. The failure shapes are core's (every stage
 * understands them); a success is the standard kernel's result, tagged.
 */
import type { ErrorRecord, PoisonPill, ProcessedRecord, SensorRecord } from "@poolstream/core";

export { RecordStatus } from "@poolstream/core";

/** A record computed successfully. */
export type SuccessEntry<R = SensorRecord> = ProcessedRecord<R> & { readonly status: "OK" };

/** A record that failed validation or arithmetic; the rest of its batch is unaffected. */
export type FailedEntry = ErrorRecord;

/** A record whose value is NaN or ±Infinity: it can never be computed, retrying is pointless. */
export type PoisonPillEntry = PoisonPill;

export type FaultTolerantEntry<R = SensorRecord> = SuccessEntry<R> | FailedEntry | PoisonPillEntry;
