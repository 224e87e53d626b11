/** @poolstream/sink: where results end up. */
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
