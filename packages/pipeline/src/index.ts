/** @poolstream/pipeline: one loop in which sources, lanes, sizers, executors, failure policies and sinks compose. */
export type { PipelineInput } from "./internal/feed.ts";
export { Pipeline, pipeline } from "./pipeline.ts";
export type {
  PipelineEvent,
  PipelineEventMap,
  PipelineEventType,
} from "./pipeline-events.ts";
export type { PipelineOptions, PipelineTransport } from "./pipeline-options.ts";
export type {
  Accounting,
  LaneSnapshot,
  PipelineCounters,
  PipelineReport,
  PipelineState,
  PipelineStats,
  SizeChange,
  StopReason,
} from "./pipeline-report.ts";
