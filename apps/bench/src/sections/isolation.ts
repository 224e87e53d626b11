/**
 * What process isolation costs: the same pipeline pass on `ProcessPool`
 * (child processes over IPC, every input and output copied) against the
 * `WorkerPool` (threads, buffers transferred), in one run, on the heavy and
 * standard kernels at batch 200 and 1000. A child is sent one batch at a time
 * by default (nothing can wait behind a hung batch it cannot hand back), so
 * depth 2 is measured too, to show what hiding the round trip would buy.
 */
import { fixedSize } from "@poolstream/core";
import { ProcessPool } from "@poolstream/process";
import type { KernelName } from "../ceiling-kernels.ts";
import { formatRate, measureThroughput, ratio } from "../measure.ts";
import { runPipeline } from "../pipeline-pass.ts";
import { transportsFor } from "./peers.ts";
import type { BenchContext, SectionReport } from "./section.ts";

const CASES: readonly { readonly kernel: KernelName; readonly size: number }[] = [
  { kernel: "heavy", size: 200 },
  { kernel: "heavy", size: 1000 },
  { kernel: "standard", size: 200 },
  { kernel: "standard", size: 1000 },
];

export async function isolationSection(ctx: BenchContext): Promise<SectionReport> {
  const count = ctx.records.length;
  await using depth1 = new ProcessPool({ size: ctx.workers, name: "bench-process" });
  await using depth2 = new ProcessPool({ size: ctx.workers, pipelineDepth: 2, name: "bench-process-2" });
  const rows: string[] = [];
  for (const { kernel, size } of CASES) {
    const { columnar } = transportsFor(kernel);
    const pass = (executor: typeof ctx.pool | ProcessPool) => () =>
      runPipeline(executor, columnar, ctx.records, fixedSize(size));
    const threads = await measureThroughput(count, ctx.samples, pass(ctx.pool));
    const processes = await measureThroughput(count, ctx.samples, pass(depth1));
    const processes2 = await measureThroughput(count, ctx.samples, pass(depth2));
    ctx.progress(
      `isolation ${kernel}, batch ${size}: threads ${formatRate(threads.recordsPerSec)}, processes ${formatRate(processes.recordsPerSec)} (${ratio(processes.recordsPerSec, threads.recordsPerSec)}), depth 2 ${formatRate(processes2.recordsPerSec)}`,
    );
    rows.push(
      `| ${kernel}, columns, batch ${size} | ${formatRate(threads.recordsPerSec)} | ${formatRate(processes.recordsPerSec)} | ${ratio(processes.recordsPerSec, threads.recordsPerSec)} | ${formatRate(processes2.recordsPerSec)} | ${ratio(processes2.recordsPerSec, threads.recordsPerSec)} |`,
    );
  }
  return {
    markdown: [
      "## Process isolation: ProcessPool against WorkerPool",
      "",
      `The same pipeline pass, ${ctx.workers} workers each: threads with transferred buffers, against child processes over IPC (inputs and outputs copied and sent through a socket). Depth 1 is \`ProcessPool\`'s default.`,
      "",
      "| kernel, batch | WorkerPool | ProcessPool | × WorkerPool | ProcessPool, depth 2 | × WorkerPool |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
      ...rows,
      "",
    ],
    targets: [],
  };
}
