/** @poolstream/sink: where results end up. */

export { NdjsonSink, type NdjsonSinkOptions } from "./ndjson-sink.ts";
export {
  formatProgress,
  ResultsSink,
  type ResultsSinkOptions,
  type SinkProgress,
  type SinkSummary,
} from "./results-sink.ts";
export {
  type Outcome,
  SqliteSink,
  type SqliteSinkOptions,
  type SqliteSinkStats,
  storedPosition,
} from "./sqlite-sink.ts";
