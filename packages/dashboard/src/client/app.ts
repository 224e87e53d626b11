/**
 * The dashboard page's script: listens to `/events`, keeps the last minute of
 * snapshots, and draws them with uPlot. Lanes keep one colour everywhere:
 * CRITICAL red, NORMAL blue, FIFO green. When the server says the run has
 * stopped (or cannot be reached), the page says so and keeps its charts.
 */
import uPlot from "uplot";
import type { DashboardSnapshot } from "../dashboard-feed.ts";

const LANE_COLOURS: Record<string, string> = { CRITICAL: "#d62728", NORMAL: "#1f77b4", fifo: "#2ca02c" };
const OTHER_COLOURS = ["#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const intervalMs = Number(document.body.dataset.intervalMs ?? "500");
/** A minute of snapshots. */
const KEEP = Math.max(10, Math.round(60_000 / intervalMs));

const colourOf = (lane: string, index: number): string =>
  LANE_COLOURS[lane] ?? (OTHER_COLOURS[index % OTHER_COLOURS.length] as string);
const format = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

interface Charts {
  readonly lanes: readonly string[];
  readonly plots: readonly { readonly plot: uPlot; readonly data: (number | null)[][] }[];
}
let charts: Charts | undefined;
let stopped = false;

function chart(
  target: string,
  unit: string,
  series: readonly { label: string; stroke: string; dash?: number[] }[],
): { plot: uPlot; data: (number | null)[][] } {
  const element = document.getElementById(target) as HTMLElement;
  const data: (number | null)[][] = [[], ...series.map(() => [])];
  const plot = new uPlot(
    {
      width: Math.max(300, element.clientWidth),
      height: 220,
      series: [
        { label: "time" },
        ...series.map((s) => ({
          // The unit in the legend too: the axis label is drawn on the canvas, and the legend is what is read.
          label: `${s.label} (${unit})`,
          stroke: s.stroke,
          width: 2,
          spanGaps: true,
          ...(s.dash === undefined ? {} : { dash: s.dash }),
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : `${format.format(v)} ${unit}`),
        })),
      ],
      axes: [
        { label: "time (local)" },
        { label: unit, size: 70, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => format.format(t)) },
      ],
      scales: { x: { time: true } },
      legend: { live: false },
    },
    data as uPlot.AlignedData,
    element,
  );
  return { plot, data };
}

function makeCharts(snapshot: DashboardSnapshot): Charts {
  const lanes = snapshot.lanes.map((lane) => lane.name);
  const perLane = (suffix: string, dash?: number[]) =>
    lanes.map((lane, i) => ({ label: `${lane}${suffix}`, stroke: colourOf(lane, i), ...(dash ? { dash } : {}) }));
  const plots = [
    chart("chart-rate", "records/s", [{ label: "delivered", stroke: "#444" }]),
    chart("chart-size", "records", [{ label: "batch size", stroke: "#ff7f0e" }]),
    chart("chart-latency", "ms", [...perLane(" p50"), ...perLane(" p99", [6, 4])]),
    chart("chart-depth", "records", perLane("")),
  ];
  window.addEventListener("resize", () => {
    for (const { plot } of plots) {
      const width = plot.root.parentElement?.clientWidth ?? 300;
      plot.setSize({ width: Math.max(300, width), height: 220 });
    }
  });
  return { lanes, plots };
}

function push(data: (number | null)[][], values: readonly (number | null)[]): void {
  values.forEach((value, i) => {
    const column = data[i] as (number | null)[];
    column.push(value);
    if (column.length > KEEP) column.shift();
  });
}

function show(snapshot: DashboardSnapshot): void {
  charts ??= makeCharts(snapshot);
  const t = snapshot.at / 1000;
  const byName = new Map(snapshot.lanes.map((lane) => [lane.name, lane]));
  const lane = (name: string) => byName.get(name);
  const [rate, size, latency, depth] = charts.plots as [
    Charts["plots"][0],
    Charts["plots"][0],
    Charts["plots"][0],
    Charts["plots"][0],
  ];
  push(rate.data, [t, snapshot.recordsPerSec]);
  push(size.data, [t, snapshot.batchSize]);
  push(latency.data, [
    t,
    ...charts.lanes.map((name) => lane(name)?.p50Ms ?? null),
    ...charts.lanes.map((name) => lane(name)?.p99Ms ?? null),
  ]);
  push(depth.data, [t, ...charts.lanes.map((name) => lane(name)?.depth ?? 0)]);
  for (const { plot, data } of charts.plots) plot.setData(data as uPlot.AlignedData);
  for (const element of document.querySelectorAll<HTMLElement>("[data-field]")) {
    const value = snapshot[element.dataset.field as keyof DashboardSnapshot];
    element.textContent = typeof value === "number" ? format.format(value) : String(value);
  }
  document.body.dataset.seq = String(snapshot.seq);
  (document.getElementById("clock") as HTMLElement).textContent =
    `${snapshot.state} · ${(snapshot.elapsedMs / 1000).toFixed(1)} s · ${format.format(snapshot.recordsPerSec)} records/s`;
  showNodes(snapshot);
}

function showNodes(snapshot: DashboardSnapshot): void {
  const section = document.getElementById("nodes") as HTMLElement;
  if (snapshot.nodes === null) return;
  section.hidden = false;
  const body = section.querySelector("tbody") as HTMLElement;
  body.replaceChildren(
    ...snapshot.nodes.map((node) => {
      const row = document.createElement("tr");
      for (const cell of [
        node.node,
        format.format(node.batches),
        format.format(node.redeliveries),
        node.alive ? "yes" : "no",
      ]) {
        const td = document.createElement("td");
        td.textContent = cell;
        row.append(td);
      }
      return row;
    }),
  );
}

function status(text: string, kind: "live" | "waiting" | "stopped"): void {
  const element = document.getElementById("status") as HTMLElement;
  element.textContent = text;
  element.className = kind === "live" ? "" : kind;
}

const events = new EventSource("/events");
events.onopen = () => {
  if (!stopped) status("live", "live");
};
events.onmessage = (message) => {
  show(JSON.parse(message.data) as DashboardSnapshot);
};
events.addEventListener("stopped", () => {
  stopped = true;
  events.close();
  status("stopped: the run has ended (the charts show its last minute)", "stopped");
});
events.onerror = () => {
  if (stopped) return;
  // The server went away without saying so (killed, or the network): keep what is shown, and say it.
  status("stopped: the server cannot be reached (retrying)", "stopped");
};
