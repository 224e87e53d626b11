/** The ceilings every other figure is a ratio to: compute only, on data the thread already holds. */
import type { WorkerPool } from "@poolstream/pool";
import { heldCompute, type KernelName, measureHeldComputeMs } from "../ceiling-kernels.ts";
import { formatRate, measureThroughput, type Throughput } from "../measure.ts";

export const KERNELS: readonly KernelName[] = ["light", "heavy", "standard"];

export interface Ceilings {
  readonly singleThread: Map<KernelName, Throughput>;
  readonly twoWorker: Map<KernelName, Throughput>;
}

export async function measureCeilings(
  pool: WorkerPool,
  workers: number,
  recordCount: number,
  samples: number,
  progress: (line: string) => void,
): Promise<Ceilings> {
  const singleThread = new Map<KernelName, Throughput>();
  const twoWorker = new Map<KernelName, Throughput>();
  for (const kernel of KERNELS) {
    const one = await measureThroughput(recordCount, samples, async () =>
      measureHeldComputeMs({ kernel, records: recordCount, batchSize: 200 }),
    );
    const share = { kernel, records: Math.ceil(recordCount / workers), batchSize: 200 };
    const all = await measureThroughput(recordCount, samples, () =>
      Promise.all(Array.from({ length: workers }, () => pool.run(heldCompute, share))),
    );
    singleThread.set(kernel, one);
    twoWorker.set(kernel, all);
    progress(
      `ceiling ${kernel}: 1 thread ${formatRate(one.recordsPerSec)}, ${workers} workers ${formatRate(all.recordsPerSec)}`,
    );
  }
  return { singleThread, twoWorker };
}

export function ceilingsMarkdown(ceilings: Ceilings, workers: number): string[] {
  return [
    "## Ceilings",
    "",
    "Compute only, on values the thread already holds: no transport, no queue. Every ratio below is to the",
    `${workers}-worker figure of the same kernel.`,
    "",
    `| kernel | single thread | ${workers} workers |`,
    "| --- | ---: | ---: |",
    ...KERNELS.map(
      (k) =>
        `| ${k} | ${formatRate(ceilings.singleThread.get(k)?.recordsPerSec ?? 0)} | ${formatRate(ceilings.twoWorker.get(k)?.recordsPerSec ?? 0)} |`,
    ),
    "",
  ];
}
