/** Adaptive batch sizing against fixed sizes, for the light and heavy kernels, objects and columns. */
import { lightHeavyTransport } from "@poolstream/pool";
import { runAdaptive } from "../drivers.ts";
import { formatRate, measureThroughput, ratio, type Throughput } from "../measure.ts";
import { type BenchContext, type SectionReport, targetRow } from "./section.ts";

const FIXED_SIZES = [5, 15, 50, 100, 200] as const;

interface Row {
  readonly label: string;
  readonly throughput: Throughput;
  readonly note: string;
}

export async function adaptiveSection(ctx: BenchContext): Promise<SectionReport> {
  const count = ctx.records.length;
  const markdown: string[] = [
    "## Adaptive batch sizing",
    "",
    "Each kernel through an `AdaptiveBatchProcessor` held at one size (min = max = initial), and through a fresh,",
    "free one per pass (its exploration from size 10 included), so the two differ only in how the size is chosen.",
    "Ratios: to the two-worker ceiling, and to the best fixed size of the same kernel and transport.",
    "",
  ];
  const targets: string[] = [];
  for (const kernel of ["light", "heavy"] as const) {
    for (const transportName of ["objects", "columnar"] as const) {
      const transport = lightHeavyTransport(kernel, transportName);
      const rows: Row[] = [];
      for (const size of FIXED_SIZES) {
        const throughput = await measureThroughput(count, ctx.samples, () =>
          runAdaptive(ctx.pool, transport, ctx.records, size),
        );
        rows.push({ label: `fixed ${size}`, throughput, note: "" });
        ctx.progress(`${kernel} ${transportName} fixed ${size}: ${formatRate(throughput.recordsPerSec)}`);
      }
      const settled: number[] = [];
      const throughput = await measureThroughput(count, ctx.samples, async () => {
        settled.push((await runAdaptive(ctx.pool, transport, ctx.records)).finalBatchSize);
      });
      const sizes = [...new Set(settled)].sort((a, b) => a - b).join(", ");
      rows.push({ label: "adaptive", throughput, note: `settled at ${sizes}` });
      ctx.progress(
        `${kernel} ${transportName} adaptive: ${formatRate(throughput.recordsPerSec)} (settled at ${sizes})`,
      );

      const ceiling = ctx.ceilings.get(kernel)?.recordsPerSec ?? 0;
      const best = rows
        .slice(0, -1)
        .reduce((a, b) => (b.throughput.recordsPerSec > a.throughput.recordsPerSec ? b : a));
      markdown.push(
        `### ${kernel} kernel, ${transportName}`,
        "",
        "| batches | records/s | vs ceiling | vs best fixed | |",
        "| --- | ---: | ---: | ---: | --- |",
        ...rows.map(
          (r) =>
            `| ${r.label} | ${formatRate(r.throughput.recordsPerSec)} | ${ratio(r.throughput.recordsPerSec, ceiling)} | ${ratio(r.throughput.recordsPerSec, best.throughput.recordsPerSec)} | ${r === best ? "best fixed" : r.note} |`,
        ),
        "",
      );
      const adaptive = rows[rows.length - 1] as Row;
      const achieved = adaptive.throughput.recordsPerSec / best.throughput.recordsPerSec;
      targets.push(
        targetRow(
          `adaptive ≥ 0.95 × best fixed size (${kernel}, ${transportName})`,
          `${achieved.toFixed(2)}×`,
          achieved >= 0.95,
        ),
      );
      if (kernel === "heavy" && transportName === "objects") {
        const at200 = (rows.find((r) => r.label === "fixed 200") as Row).throughput.recordsPerSec / ceiling;
        targets.push(
          targetRow("heavy, objects, batch 200 ≥ 0.55 × two-worker ceiling", `${at200.toFixed(2)}×`, at200 >= 0.55),
        );
      }
    }
  }
  return { markdown, targets };
}
