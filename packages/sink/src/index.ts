/** @poolstream/sink: where results end up. */
export {
  formatProgress,
  ResultsSink,
  type ResultsSinkOptions,
  type SinkProgress,
  type SinkSummary,
} from "./results-sink.ts";
