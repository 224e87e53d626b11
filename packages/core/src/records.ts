/** The records that flow through a pipeline, and the results computed from them. */

/** One reading of one sensor. */
export interface SensorRecord {
  readonly sensorId: string;
  /** Position in its sensor's stream, from 0. */
  readonly seq: number;
  /** The reading; simulated sensors give [0, 100], real ones may give anything. */
  readonly value: number;
  /** When the reading was taken, epoch milliseconds. */
  readonly timestamp: number;
  /** High-resolution epoch milliseconds when the record object was made; the start of end-to-end latency. */
  readonly createdAt: number;
}

/** What `computeBatch` says of each record. */
export interface ProcessedFields {
  /** Min–max normalized within its batch, in [0, 1]; 0 when invalid. */
  readonly normalized: number;
  /** Trailing mean of up to 5 normalized values of the batch ending at this one. */
  readonly rollingMean: number;
  /** `normalized > 0.8`. */
  readonly anomaly: boolean;
  /** False when `value` was not a finite number; such a record is left out of the batch statistics. */
  readonly valid: boolean;
}

/** A record after `computeBatch`: its fields plus what the batch said of it. */
export type ProcessedRecord<R = SensorRecord> = R & ProcessedFields;
