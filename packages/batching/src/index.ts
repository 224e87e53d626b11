/** @poolstream/batching: choosing batch sizes from measured cost. */
export {
  AdaptiveSizer,
  type AdaptiveSizerOptions,
  type BatchSizeSample,
  type SizingStrategyName,
} from "./adaptive-sizer.ts";
export {
  type CostModel,
  type CostSample,
  fitCostModel,
  fitSizeMedians,
  type SizeMedian,
  sizeLadder,
  smallestSizeWithin,
} from "./cost-model.ts";
export type { RoundKind } from "./internal/sizing-strategy.ts";
export {
  type BatchSample,
  type SizeCost,
  ThroughputMonitor,
  type ThroughputMonitorOptions,
} from "./throughput-monitor.ts";
