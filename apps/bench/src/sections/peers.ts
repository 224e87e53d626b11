/**
 * poolstream against poolifier, piscina and tinypool: the same kernels on the
 * same records at the same batch sizes, two workers each, at most four batches
 * outstanding. poolstream runs twice: with record objects, and with columns.
 */
import type { SensorRecord } from "@poolstream/core";
import {
  columnarTransport,
  computeBatch,
  computeBatchColumnar,
  lightHeavyTransport,
  materializeProcessed,
  objectTransport,
} from "@poolstream/pool";
import type { KernelName } from "../ceiling-kernels.ts";
import { type AnyTransport, runFixed } from "../drivers.ts";
import { formatRate, measureThroughput, ratio } from "../measure.ts";
import { createPeerPools, runFixedPeer } from "../peers/peer-pools.ts";
import { type BenchContext, type SectionReport, targetRow } from "./section.ts";

const SIZES = [15, 100, 200, 1000] as const;
const KERNELS: readonly KernelName[] = ["light", "standard", "heavy"];

function transportsFor(kernel: KernelName): { objects: AnyTransport; columnar: AnyTransport } {
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

export async function peersSection(ctx: BenchContext): Promise<SectionReport> {
  const peers = createPeerPools(ctx.workers);
  const count = ctx.records.length;
  const markdown: string[] = [
    "## poolstream against poolifier, piscina and tinypool",
    "",
    `Each pool: ${ctx.workers} workers, the same kernel on the same ${count.toLocaleString("en-US")} records, at most ${ctx.maxInFlight} batches outstanding.`,
    'The peers move record objects (their only way); poolstream is shown with objects and with columns. "vs peer" is',
    "the ratio to the fastest of the three peers at that size.",
    "",
  ];
  const targets: string[] = [];
  const objectRatios: string[] = [];
  let objectsAlwaysAhead = true;
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
        const measure = (run: () => Promise<unknown>) => measureThroughput(count, ctx.samples, run);
        const col = await measure(() => runFixed(ctx.pool, columnar, ctx.records, size, ctx.maxInFlight));
        const obj = await measure(() => runFixed(ctx.pool, objects, ctx.records, size, ctx.maxInFlight));
        const peerRates: number[] = [];
        for (const peer of peers)
          peerRates.push(
            (await measure(() => runFixedPeer(peer, kernel, ctx.records, size, ctx.maxInFlight))).recordsPerSec,
          );
        const fastestPeer = Math.max(...peerRates);
        markdown.push(
          `| ${size} | ${formatRate(col.recordsPerSec)} | ${formatRate(obj.recordsPerSec)} | ${peerRates.map(formatRate).join(" | ")} | ${ratio(col.recordsPerSec, fastestPeer)} | ${ratio(obj.recordsPerSec, fastestPeer)} | ${ratio(col.recordsPerSec, ceiling)} |`,
        );
        ctx.progress(
          `${kernel} @${size}: columns ${formatRate(col.recordsPerSec)}, objects ${formatRate(obj.recordsPerSec)}, peers ${peerRates.map(formatRate).join(" / ")}`,
        );
        if (kernel !== "heavy" && size === 100) {
          const r = col.recordsPerSec / fastestPeer;
          targets.push(targetRow(`${kernel}, columns, batch 100 ≥ 3 × fastest peer`, `${r.toFixed(2)}×`, r >= 3));
        }
        if (kernel === "heavy" && size === 200) {
          const r = col.recordsPerSec / ceiling;
          targets.push(
            targetRow("heavy, columns, batch 200 ≥ 0.85 × two-worker ceiling", `${r.toFixed(2)}×`, r >= 0.85),
          );
        }
        const objectRatio = obj.recordsPerSec / fastestPeer;
        objectRatios.push(`${kernel}@${size} ${objectRatio.toFixed(2)}`);
        if (objectRatio < 1) objectsAlwaysAhead = false;
      }
      markdown.push("");
    }
  } finally {
    for (const peer of peers) await peer.close();
  }
  targets.push(targetRow("objects ≥ 1.0 × fastest peer at every size", objectRatios.join(", "), objectsAlwaysAhead));
  return { markdown, targets };
}
