/** @poolstream/sink: where results end up. */
export { formatSummary, ResultsSink, type ResultsSinkOptions, type SinkSummary } from "./results-sink.ts";
