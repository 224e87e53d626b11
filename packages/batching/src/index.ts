/** @poolstream/batching: choosing batch sizes from measured cost. */
export {
  AdaptiveSizer,
  type AdaptiveSizerOptions,
  type BatchSizeSample,
} from "./adaptive-sizer.ts";
export type { RoundKind } from "./internal/size-explorer.ts";
export {
  type BatchSample,
  type SizeCost,
  ThroughputMonitor,
  type ThroughputMonitorOptions,
} from "./throughput-monitor.ts";
