/**
 * The other way people use a pool: every batch submitted at once
 * (`Promise.all(batches.map((b) => pool.run(kernel, b)))`), not a bounded
 * window. Each pool gets the same batches of the same records; poolstream is
 * called through `runBatch` on its WorkerPool (the pipeline keeps a window by
 * design, so this is the pool's own API), with record objects and with
 * columns; the peers with record objects. The objects run on a WorkerPool of
 * their own, as a program that sends objects has: a pool that has carried
 * columns through shared memory sends each request alone, where one that has
 * not sends the requests of one turn together.
 */
import { type Executor, runBatch, type SensorRecord } from "@poolstream/core";
import { WorkerPool } from "@poolstream/pool";
import type { KernelName } from "../ceiling-kernels.ts";
import { formatRate, measureThroughput, ratio } from "../measure.ts";
import type { AnyTransport } from "../peers/batch-loop.ts";
import { createPeerPools, type PeerPool } from "../peers/peer-pools.ts";
import { transportsFor } from "./peers.ts";
import { type BenchContext, type SectionReport, targetRow } from "./section.ts";

const SIZES = [15, 100, 200] as const;
const KERNELS: readonly KernelName[] = ["light", "standard", "heavy"];

/** `records` cut into consecutive batches of `size`. */
export function batchesOf(records: readonly SensorRecord[], size: number): SensorRecord[][] {
  const batches: SensorRecord[][] = [];
  for (let offset = 0; offset < records.length; offset += size) batches.push(records.slice(offset, offset + size));
  return batches;
}

/** Every batch at once through poolstream's pool; throws unless one output per record came back. */
export async function burstPoolstream(
  pool: Executor,
  transport: AnyTransport,
  batches: readonly SensorRecord[][],
  count: number,
) {
  const outputs = await Promise.all(batches.map((batch) => runBatch(pool, transport, batch)));
  const total = outputs.reduce((sum, out) => sum + out.length, 0);
  if (total !== count) throw new Error(`lost records: ${total} of ${count}`);
}

/** Every batch at once through a peer; throws unless one output per record came back. */
export async function burstPeer(peer: PeerPool, kernel: KernelName, batches: readonly SensorRecord[][], count: number) {
  const outputs = (await Promise.all(batches.map((records) => peer.run({ kernel, records })))) as ArrayLike<unknown>[];
  const total = outputs.reduce((sum, out) => sum + out.length, 0);
  if (total !== count) throw new Error(`${peer.name} lost records: ${total} of ${count}`);
}

export async function burstSection(ctx: BenchContext): Promise<SectionReport> {
  const peers = createPeerPools(ctx.workers);
  const objectPool = new WorkerPool({ size: ctx.workers });
  const count = ctx.records.length;
  const markdown = [
    "## Everything submitted at once",
    "",
    `Each pool: ${ctx.workers} workers, every batch of the ${count.toLocaleString("en-US")} records submitted at once (\`Promise.all(batches.map((b) => pool.run(kernel, b)))\`), as most users call a pool. poolstream through \`runBatch\` on its WorkerPool, with columns and, on a pool of their own, with objects; the peers with objects. "vs peer" is the ratio to the fastest peer.`,
    "",
    "| kernel | batch | poolstream columns | poolstream objects | poolifier | piscina | tinypool | columns vs peer | objects vs peer |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const objectRatios: { kernel: KernelName; size: number; ratio: number }[] = [];
  try {
    for (const kernel of KERNELS) {
      const { objects, columnar } = transportsFor(kernel);
      for (const size of SIZES) {
        const batches = batchesOf(ctx.records, size);
        const measure = async (run: () => Promise<unknown>) =>
          (await measureThroughput(count, ctx.samples, run)).recordsPerSec;
        const col = await measure(() => burstPoolstream(ctx.pool, columnar, batches, count));
        const obj = await measure(() => burstPoolstream(objectPool, objects, batches, count));
        const peerRates: number[] = [];
        for (const peer of peers) peerRates.push(await measure(() => burstPeer(peer, kernel, batches, count)));
        const fastest = Math.max(...peerRates);
        objectRatios.push({ kernel, size, ratio: obj / fastest });
        markdown.push(
          `| ${kernel} | ${size} | ${formatRate(col)} | ${formatRate(obj)} | ${peerRates.map(formatRate).join(" | ")} | ${ratio(col, fastest)} | ${ratio(obj, fastest)} |`,
        );
        ctx.progress(
          `burst ${kernel} @${size}: columns ${formatRate(col)}, objects ${formatRate(obj)}, peers ${peerRates.map(formatRate).join(" / ")}`,
        );
      }
    }
  } finally {
    for (const peer of peers) await peer.close();
    await objectPool.close();
  }
  markdown.push("");
  const ahead = objectRatios.every((r) => r.ratio >= 1);
  return {
    markdown,
    targets: [
      targetRow(
        "everything at once: objects ≥ 1.0 × fastest peer at every size",
        objectRatios.map((r) => `${r.kernel}@${r.size} ${r.ratio.toFixed(2)}`).join(", "),
        ahead,
      ),
    ],
  };
}
