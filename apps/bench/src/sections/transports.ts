/**
 * The two ways columnar batches reach a worker, side by side with the peers,
 * in both ways people use a pool: a window of outstanding batches and
 * everything submitted at once. The window is the pool's capacity (as the
 * pipeline keeps it) and a deeper one, `DEEP_WINDOW`, the same for every
 * pool: a window is the caller's choice, and how each pool's throughput
 * grows with it is what tells a message per batch from shared memory.
 * "shared memory" is `WorkerPool`'s default (batches copied into the worker's
 * ring of slots, signalled with Atomics); "transferred" is a second pool with
 * `sharedMemory: false` (each batch's buffer moved by `postMessage`). The
 * peers run record objects, as their users do.
 */
import { WorkerPool } from "@poolstream/pool";
import type { KernelName } from "../ceiling-kernels.ts";
import { formatRate, measureThroughput, ratio } from "../measure.ts";
import { runDirect } from "../peers/batch-loop.ts";
import { createPeerPools, runFixedPeer } from "../peers/peer-pools.ts";
import { batchesOf, burstPeer, burstPoolstream } from "./burst.ts";
import { transportsFor } from "./peers.ts";
import { type BenchContext, type SectionReport, targetRow } from "./section.ts";

const SIZES = [15, 100, 200, 1000] as const;
const KERNELS: readonly KernelName[] = ["light", "standard", "heavy"];
/** The deeper window, for every pool alike: four times the default pool's capacity of 4. */
const DEEP_WINDOW = 16;
type Pattern = "window" | "deep window" | "burst";
const PATTERNS: readonly Pattern[] = ["window", "deep window", "burst"];

interface Cell {
  readonly kernel: KernelName;
  readonly size: number;
  readonly pattern: Pattern;
  readonly shared: number;
  readonly transferred: number;
  readonly fastestPeer: number;
}

export async function transportsSection(ctx: BenchContext): Promise<SectionReport> {
  const count = ctx.records.length;
  const peers = createPeerPools(ctx.workers);
  const transferredPool = new WorkerPool({ size: ctx.workers, sharedMemory: false });
  const cells: Cell[] = [];
  const markdown = [
    "## Shared memory against transferred columns",
    "",
    `Columns through \`runBatch\` on two pools of ${ctx.workers} workers: the default (shared memory: each batch copied into a slot of the worker's ring, published and answered with Atomics, the pool woken by \`Atomics.waitAsync\`) and one with \`sharedMemory: false\` (the batch's buffer transferred by \`postMessage\`, the output transferred back). "window": at most the pool's capacity (${ctx.maxInFlight}) outstanding; "deep window": at most ${DEEP_WINDOW} outstanding, for every pool; "burst": every batch submitted at once. The peers (fastest of poolifier, piscina, tinypool, record objects) in the same pattern.`,
    "",
    "| kernel | batch | pattern | shared memory | transferred | fastest peer | shared vs transferred | shared vs peer | vs ceiling |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  try {
    for (const kernel of KERNELS) {
      const { columnar } = transportsFor(kernel);
      const ceiling = ctx.ceilings.get(kernel)?.recordsPerSec ?? 0;
      for (const size of SIZES) {
        const batches = batchesOf(ctx.records, size);
        const measure = async (run: () => Promise<unknown>) =>
          (await measureThroughput(count, ctx.samples, run)).recordsPerSec;
        for (const pattern of PATTERNS) {
          const window = pattern === "window" ? ctx.maxInFlight : DEEP_WINDOW;
          const run = (pool: WorkerPool) =>
            pattern === "burst"
              ? () => burstPoolstream(pool, columnar, batches, count)
              : () => runDirect(pool, columnar, ctx.records, size, window);
          const shared = await measure(run(ctx.pool));
          const transferred = await measure(run(transferredPool));
          const peerRates: number[] = [];
          for (const peer of peers) {
            peerRates.push(
              await measure(() =>
                pattern === "burst"
                  ? burstPeer(peer, kernel, batches, count)
                  : runFixedPeer(peer, kernel, ctx.records, size, window),
              ),
            );
          }
          const fastestPeer = Math.max(...peerRates);
          cells.push({ kernel, size, pattern, shared, transferred, fastestPeer });
          markdown.push(
            `| ${kernel} | ${size} | ${pattern} | ${formatRate(shared)} | ${formatRate(transferred)} | ${formatRate(fastestPeer)} | ${ratio(shared, transferred)} | ${ratio(shared, fastestPeer)} | ${ratio(Math.max(shared, transferred), ceiling)} |`,
          );
          ctx.progress(
            `transports ${kernel} @${size} ${pattern}: shared ${formatRate(shared)}, transferred ${formatRate(transferred)}, fastest peer ${formatRate(fastestPeer)}`,
          );
        }
      }
    }
  } finally {
    for (const peer of peers) await peer.close();
    await transferredPool.close();
  }
  markdown.push("");
  return { markdown, targets: targetsOf(cells, ctx), why: whyOf(cells, ctx) };
}

function find(cells: readonly Cell[], kernel: KernelName, size: number, pattern: Pattern): Cell | undefined {
  return cells.find((c) => c.kernel === kernel && c.size === size && c.pattern === pattern);
}

const best = (cell: Cell) => Math.max(cell.shared, cell.transferred);

function targetsOf(cells: readonly Cell[], ctx: BenchContext): string[] {
  const rows: string[] = [];
  for (const pattern of PATTERNS) {
    for (const [size, times] of [
      [100, 5],
      [15, 3],
    ] as const) {
      const cell = find(cells, "light", size, pattern);
      if (cell === undefined) continue;
      const vs = best(cell) / cell.fastestPeer;
      rows.push(
        targetRow(
          `light, batch ${size}, best transport ≥ ${times} × fastest peer (${pattern})`,
          `${vs.toFixed(2)}× (shared memory ${formatRate(cell.shared)}, transferred ${formatRate(cell.transferred)}, peer ${formatRate(cell.fastestPeer)})`,
          vs >= times,
        ),
      );
    }
    const heavy = find(cells, "heavy", 200, pattern);
    const ceiling = ctx.ceilings.get("heavy")?.recordsPerSec;
    if (heavy !== undefined && ceiling !== undefined) {
      const vs = best(heavy) / ceiling;
      rows.push(
        targetRow(
          `heavy, batch 200, best transport ≥ 0.90 × two-worker ceiling (${pattern})`,
          `${vs.toFixed(2)}×`,
          vs >= 0.9,
        ),
      );
    }
  }
  return rows;
}

function whyOf(cells: readonly Cell[], ctx: BenchContext): string[] {
  const why: string[] = [];
  const us = (recordsPerSec: number, size: number) => ((size / recordsPerSec) * 1e6).toFixed(1);
  const light = PATTERNS.map((pattern) => find(cells, "light", 100, pattern)).filter(
    (cell): cell is Cell => cell !== undefined && best(cell) / cell.fastestPeer < 5,
  );
  if (light.length > 0) {
    why.push(
      `- **Light kernel, batch 100, against 5 × the fastest peer.** Per batch of 100 (one multiplication per record, well under a microsecond of compute) the cost is the main thread's: ${light
        .map(
          (cell) =>
            `${cell.pattern}: shared memory ${us(cell.shared, 100)} µs, transferred ${us(cell.transferred, 100)} µs, the fastest peer ${us(cell.fastestPeer, 100)} µs`,
        )
        .join(
          "; ",
        )}. Shared memory takes the message out of the round trip, but the main thread still cuts each batch, encodes 100 records into columns (interning each sensor id), copies them into the slot, settles a promise and wakes once per answer; on 2 cores it also shares a core with a worker. In the window pattern only ${ctx.maxInFlight} batches are outstanding, so each worker runs its batches in microseconds and blocks in \`Atomics.wait\` before the next is published, and nearly every publish has to wake it: outside this run (at c6133fc) that \`Atomics.notify\` cost the main thread 12.6–13.4 µs a call, and 21,216 of 24,998 publishes needed one at a window of 4 (12,876 at 16).${deeper(cells, ctx)}`,
    );
  }
  const heavy = PATTERNS.map((pattern) => find(cells, "heavy", 200, pattern)).filter(
    (cell): cell is Cell => cell !== undefined,
  );
  const ceiling = ctx.ceilings.get("heavy")?.recordsPerSec;
  if (ceiling !== undefined && heavy.some((cell) => best(cell) / ceiling < 0.9)) {
    why.push(
      `- **Heavy kernel, batch 200, against 0.90 × its ceiling** (${heavy.map((cell) => `${cell.pattern} ${(best(cell) / ceiling).toFixed(2)}×`).join(", ")}). The ceiling is two threads computing with nothing else to do; here the main thread, which cuts, encodes and answers every batch, runs on the same two cores, and every microsecond it spends is taken from a worker. The transport is not the limit: shared memory against transferred columns on this kernel and size was ${heavy.map((cell) => `${(cell.shared / cell.transferred).toFixed(2)}× (${cell.pattern})`).join(", ")}.`,
    );
  }
  return why;
}

/** How the light kernel at batch 100 grew from the pool's window to the deep one, shared memory and peer alike. */
function deeper(cells: readonly Cell[], ctx: BenchContext): string {
  const shallow = find(cells, "light", 100, "window");
  const deep = find(cells, "light", 100, "deep window");
  if (shallow === undefined || deep === undefined) return "";
  return ` From ${ctx.maxInFlight} to ${DEEP_WINDOW} outstanding, shared memory went from ${formatRate(shallow.shared)} to ${formatRate(deep.shared)} (${ratio(deep.shared, shallow.shared)}) and the fastest peer from ${formatRate(shallow.fastestPeer)} to ${formatRate(deep.fastestPeer)} (${ratio(deep.fastestPeer, shallow.fastestPeer)}): a peer pays a message each way per batch however many wait, where the ring's cost per batch falls as the workers find the next batch already published.`;
}
