/**
 * poolstream against poolifier, piscina and tinypool: the same kernels on the
 * same records at the same batch sizes, two workers each, at most four batches
 * outstanding. poolstream runs through `pipeline(...)` twice: with record
 * objects, and with columns; the peers through the bench's batch loop.
 */
import { columnarTransport, fixedSize, objectTransport, type SensorRecord } from "@poolstream/core";
import { computeBatch, computeBatchColumnar, lightHeavyTransport, materializeProcessed } from "@poolstream/kernels";
import type { KernelName } from "../ceiling-kernels.ts";
import { formatRate, measureThroughput, ratio } from "../measure.ts";
import { type AnyTransport, runDirect } from "../peers/batch-loop.ts";
import { createPeerPools, runFixedPeer } from "../peers/peer-pools.ts";
import { runPipeline } from "../pipeline-pass.ts";
import { type BenchContext, type SectionReport, targetRow } from "./section.ts";

const SIZES = [15, 100, 200, 1000] as const;
const KERNELS: readonly KernelName[] = ["light", "standard", "heavy"];

/** The object and the columnar transport of `kernel`, as the peers section and the overhead section run them. */
export function transportsFor(kernel: KernelName): { objects: AnyTransport; columnar: AnyTransport } {
  if (kernel !== "standard")
    return { objects: lightHeavyTransport(kernel, "objects"), columnar: lightHeavyTransport(kernel, "columnar") };
  return {
    objects: objectTransport(computeBatch),
    // The standard kernel's consumers want result objects: the columns are joined back to records here, and that is timed.
    columnar: columnarTransport(computeBatchColumnar, (stats, batch: readonly SensorRecord[]) =>
      materializeProcessed(batch, stats),
    ),
  };
}

interface Row {
  readonly kernel: KernelName;
  readonly size: number;
  /** Records per second. */
  readonly columns: number;
  readonly objects: number;
  readonly fastestPeer: number;
  readonly ceiling: number;
  /** Columns through a direct `runBatch` loop instead of the pipeline (batch 100 of light and standard only). */
  readonly directColumns: number | undefined;
}

/** Where the targets ask for 3 × the peers, columns also run through the direct loop, to show what the pipeline adds. */
const DIRECT_AT = 100;

export async function peersSection(ctx: BenchContext): Promise<SectionReport> {
  const peers = createPeerPools(ctx.workers);
  const count = ctx.records.length;
  const markdown: string[] = [
    "## poolstream against poolifier, piscina and tinypool",
    "",
    `Each pool: ${ctx.workers} workers, the same kernel on the same ${count.toLocaleString("en-US")} records, at most ${ctx.maxInFlight} batches outstanding.`,
    "poolstream runs through `pipeline(...)` (array source, `fixedSize(batch)`, the pool's capacity of batches in",
    "flight); the peers through a plain loop of batches. The peers move record objects (their only way); poolstream",
    'is shown with objects and with columns. "vs peer" is the ratio to the fastest of the three peers at that size.',
    "",
  ];
  const rows: Row[] = [];
  try {
    for (const kernel of KERNELS) {
      const { objects, columnar } = transportsFor(kernel);
      const ceiling = ctx.ceilings.get(kernel)?.recordsPerSec ?? 0;
      markdown.push(
        `### ${kernel} kernel`,
        "",
        "| batch | poolstream columns | poolstream objects | poolifier | piscina | tinypool | columns vs peer | objects vs peer | columns vs ceiling |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      );
      for (const size of SIZES) {
        const measure = async (run: () => Promise<unknown>) =>
          (await measureThroughput(count, ctx.samples, run)).recordsPerSec;
        const col = await measure(() => runPipeline(ctx.pool, columnar, ctx.records, fixedSize(size)));
        const obj = await measure(() => runPipeline(ctx.pool, objects, ctx.records, fixedSize(size)));
        const peerRates: number[] = [];
        for (const peer of peers)
          peerRates.push(await measure(() => runFixedPeer(peer, kernel, ctx.records, size, ctx.maxInFlight)));
        const fastestPeer = Math.max(...peerRates);
        const directColumns =
          kernel !== "heavy" && size === DIRECT_AT
            ? await measure(() => runDirect(ctx.pool, columnar, ctx.records, size))
            : undefined;
        rows.push({ kernel, size, columns: col, objects: obj, fastestPeer, ceiling, directColumns });
        markdown.push(
          `| ${size} | ${formatRate(col)} | ${formatRate(obj)} | ${peerRates.map(formatRate).join(" | ")} | ${ratio(col, fastestPeer)} | ${ratio(obj, fastestPeer)} | ${ratio(col, ceiling)} |`,
        );
        ctx.progress(
          `${kernel} @${size}: columns ${formatRate(col)}, objects ${formatRate(obj)}, peers ${peerRates.map(formatRate).join(" / ")}`,
        );
      }
      markdown.push("");
    }
  } finally {
    for (const peer of peers) await peer.close();
  }
  const direct = rows.filter((r) => r.directColumns !== undefined);
  markdown.push(
    `Columns through a direct \`runBatch\` loop instead of the pipeline, batch ${DIRECT_AT}: ${direct
      .map(
        (r) =>
          `${r.kernel} ${formatRate(r.directColumns as number)} (${ratio(r.directColumns as number, r.fastestPeer)} the fastest peer)`,
      )
      .join(", ")}.`,
    "",
  );
  return { markdown, ...targetsAndWhy(rows) };
}

function targetsAndWhy(rows: readonly Row[]): { targets: string[]; why: string[] } {
  const targets: string[] = [];
  const why: string[] = [];
  const row = (kernel: KernelName, size: number) => rows.find((r) => r.kernel === kernel && r.size === size) as Row;
  const x = (value: number) => `${value.toFixed(2)}×`;

  const missedAt100: Row[] = [];
  for (const kernel of ["light", "standard"] as const) {
    const r = row(kernel, 100);
    const vsPeer = r.columns / r.fastestPeer;
    targets.push(targetRow(`${kernel}, columns, batch 100 ≥ 3 × fastest peer`, x(vsPeer), vsPeer >= 3));
    if (vsPeer < 3) missedAt100.push(r);
  }
  if (missedAt100.length > 0) {
    const usPerBatch = (rate: number) => ((100 / rate) * 1e6).toFixed(1);
    const others = rows.filter(
      (r) => (r.kernel === "light" && r.size >= 200) || (r.kernel === "standard" && r.size >= 100),
    );
    const spread = others.map((r) => r.columns / r.fastestPeer);
    why.push(
      `- **Columns against the peers at batch 100 (${missedAt100.map((r) => r.kernel).join(", ")}).** At batch 100 a batch's records cost less`,
      "  than the message that carries them each way between threads (a bare Worker ping-pong of 100 numbers took",
      "  21–28 µs per round trip on this machine, measured outside this run), and the peers pay that message too.",
      "  Columns save the clone of the input objects (and, for the standard kernel, of the result objects; the peers'",
      "  light kernel already returns a Float64Array). Per batch, in this run:",
      ...missedAt100.map(
        (r) =>
          `  - ${r.kernel}: the pipeline's columns ${usPerBatch(r.columns)} µs, a direct \`runBatch\` loop's ${usPerBatch(r.directColumns as number)} µs (${ratio(r.directColumns as number, r.fastestPeer)} the fastest peer), the fastest peer ${usPerBatch(r.fastestPeer)} µs.`,
      ),
      "",
      ...(missedAt100.every((r) => (r.directColumns as number) >= 3 * r.fastestPeer)
        ? ["  The direct loop meets the target: the difference is the pipeline's own work (see its overhead)."]
        : [
            "  Where the direct loop misses it too, what every batch costs both loops caps the ratio; the pipeline's own work",
            "  (see its overhead) comes on top of it.",
          ]),
      `  At batch 200 and above for the light kernel, and 100 and above for the standard one, columns were ${Math.min(...spread).toFixed(1)}–${Math.max(...spread).toFixed(1)} ×`,
      "  the fastest peer.",
    );
  }

  const heavy = row("heavy", 200);
  const heavyVsCeiling = heavy.columns / heavy.ceiling;
  targets.push(
    targetRow("heavy, columns, batch 200 ≥ 0.85 × two-worker ceiling", x(heavyVsCeiling), heavyVsCeiling >= 0.85),
  );
  if (heavyVsCeiling < 0.85) {
    why.push(
      "- **Heavy kernel against its ceiling.** Two workers and the main thread share two cores: every batch the main",
      "  thread cuts, encodes, posts and decodes is time taken from a worker, and the pipeline's own work per record",
      `  (see its overhead) adds to it. ${x(heavyVsCeiling)} in this run; in earlier runs, with a direct loop, the figure moved between`,
      "  about 0.7 and 0.9.",
    );
  }

  const objectRatios = rows.map((r) => ({ r, vsPeer: r.objects / r.fastestPeer }));
  const objectsAhead = objectRatios.every((o) => o.vsPeer >= 1);
  targets.push(
    targetRow(
      "objects ≥ 1.0 × fastest peer at every size",
      objectRatios.map((o) => `${o.r.kernel}@${o.r.size} ${o.vsPeer.toFixed(2)}`).join(", "),
      objectsAhead,
    ),
  );
  if (!objectsAhead) {
    const ratios = objectRatios.map((o) => o.vsPeer);
    const below = objectRatios.filter((o) => o.vsPeer < 1);
    why.push(
      "- **Objects against the peers.** poolstream's object path does what the peers do (a structured clone each way)",
      "  and adds the pipeline's own work per record on the main thread (see its overhead). In this run the ratios lay",
      `  between ${Math.min(...ratios).toFixed(2)} and ${Math.max(...ratios).toFixed(2)}, below 1.0 at ${below.length} of ${ratios.length} sizes; in earlier runs, with a direct loop, they`,
      "  scattered around 1.0 by about ±20 % from run to run.",
    );
  }
  return { targets, why };
}
