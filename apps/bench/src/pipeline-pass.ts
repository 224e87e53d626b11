/**
 * One pass of records through `pipeline(...)`, as a user would run it: an
 * array source, one sizer, the WorkerPool as executor, one transport, no
 * sinks. Every poolstream throughput in the report is a pass of this.
 */
import type { BatchSizer, Executor, SensorRecord } from "@poolstream/core";
import { type Pipeline, type PipelineReport, pipeline } from "@poolstream/pipeline";
import type { AnyTransport } from "./peers/batch-loop.ts";

/**
 * Runs `records` through a fresh pipeline; throws unless every record came
 * out as a result. `onBatch` hears each batch's submission-to-result time.
 */
export async function runPipeline(
  executor: Executor,
  transport: AnyTransport,
  records: readonly SensorRecord[],
  sizer: BatchSizer,
  onBatch?: (latencyMs: number) => void,
  watch?: (run: Pipeline<SensorRecord, unknown>) => void,
): Promise<PipelineReport> {
  const run = pipeline({ source: records, executor, transport, sizer });
  if (onBatch !== undefined) run.on("batch-completed", (event) => onBatch(event.durationMs));
  watch?.(run);
  const report = await run.run();
  const { accounting } = report;
  if (!accounting.holds || accounting.results !== records.length) {
    throw new Error(`lost records: ${accounting.results} results of ${records.length} records`);
  }
  return report;
}
