/** @poolstream/batching: cutting streams into batches, and choosing their size. */
export {
  AdaptiveBatchProcessor,
  type AdaptiveBatchProcessorOptions,
  type AdaptiveRunStats,
  type BatchSizeSample,
} from "./adaptive-batch-processor.ts";
export { BatchAssembler, type BatchAssemblerStats, type BatchSourceQueue } from "./batch-assembler.ts";
export type { RoundKind } from "./internal/size-explorer.ts";
export {
  type BatchSample,
  type SizeCost,
  ThroughputMonitor,
  type ThroughputMonitorOptions,
} from "./throughput-monitor.ts";
