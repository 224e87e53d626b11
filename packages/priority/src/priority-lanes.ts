/**
 * Two lanes, CRITICAL and NORMAL, for a pipeline: every record goes to the
 * lane `classify` gives it, and every batch takes all the CRITICAL records it
 * has room for before any NORMAL one. CRITICAL is the urgent lane: its records
 * never wait for a batch to fill, and the pipeline keeps executor slots free
 * for batches of CRITICAL records alone, so a CRITICAL record waits for at
 * most the batch its worker is running.
 *
 * Strict priority is the contract, and it has a price: under sustained
 * CRITICAL load, NORMAL records wait for as long as it lasts (they are never
 * dropped, but they starve). `minNormalShare` is the opt-in guard: it reserves
 * that share of each batch for NORMAL records whenever both lanes hold some.
 */
import { type Clock, LaneSet, type RecordSchema, type SensorRecord } from "@poolstream/core";
import { classifierFor, Priority, type Thresholds } from "./classify.ts";

export interface PriorityLanesOptions<R> {
  /** Capacity of each lane. Default 100. */
  readonly capacity?: number;
  /** Share of each batch kept for NORMAL records while both lanes hold some, in [0, 1). Default 0. */
  readonly minNormalShare?: number;
  /** The safe range; outside it a reading is CRITICAL. Default [15, 85]. */
  readonly thresholds?: Partial<Thresholds>;
  /** How to read a record's value. Default: the sensor record's `value`. */
  readonly schema?: RecordSchema<R>;
  /** Instead of the thresholds: any rule that gives a record its lane. Must not throw. */
  readonly classify?: (record: R) => Priority;
  readonly clock?: Clock;
}

/** The names of the two lanes, most urgent first. */
export const PRIORITY_LANES = [Priority.critical, Priority.normal] as const;

/** CRITICAL and NORMAL lanes for `pipeline({ lanes })`. */
export function priorityLanes<R = SensorRecord>(options: PriorityLanesOptions<R> = {}): LaneSet<R> {
  const classify =
    options.classify ??
    classifierFor<R>({
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.thresholds === undefined ? {} : { thresholds: options.thresholds }),
    });
  return new LaneSet<R>({
    names: PRIORITY_LANES,
    route: (record) => (classify(record) === Priority.critical ? 0 : 1),
    firstLaneUrgent: true,
    ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
    ...(options.minNormalShare === undefined ? {} : { minLaterShare: options.minNormalShare }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}
