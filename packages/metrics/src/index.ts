/** @poolstream/metrics: a pipeline's counters, gauges and histograms for Prometheus, and the endpoint that serves them. */

export { BucketHistogram, type BucketHistogramOptions, type HistogramSeries } from "./bucket-histogram.ts";
export { CounterTotals } from "./counter-totals.ts";
export { EventLoopLag } from "./event-loop-lag.ts";
export { PipelineMetrics, type PipelineMetricsOptions, type WatchedPipeline } from "./pipeline-metrics.ts";
export { type MetricsServer, type MetricsServerOptions, type MetricsSource, serveMetrics } from "./serve-metrics.ts";
