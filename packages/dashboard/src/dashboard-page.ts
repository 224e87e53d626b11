/**
 * The dashboard's one page: a header with the run's state, a row of figures,
 * four charts (records a second, batch size, latency per lane, records
 * waiting per lane) and, for a remote executor, its nodes. The script
 * (`/app.js`) fills it from the server's event stream. Laid out for a laptop
 * screen: two charts a row from 900 px, one below.
 */

const FIGURES: readonly (readonly [field: string, label: string])[] = [
  ["entered", "records in"],
  ["results", "results"],
  ["errorRecords", "error records"],
  ["poisonPills", "poison pills"],
  ["deadLetters", "dead letters"],
  ["inFlight", "batches in flight"],
  ["batchSize", "batch size"],
  ["workersAlive", "workers alive"],
  ["crashes", "worker crashes"],
  ["workersStarted", "workers started (restarts included)"],
];

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);

export function dashboardPage(title: string, intervalMs: number): string {
  const figures = FIGURES.map(
    ([field, label]) =>
      `<div class="figure"><span class="value" data-field="${field}">–</span><span class="label">${label}</span></div>`,
  ).join("\n      ");
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} — live</title>
  <link rel="stylesheet" href="/uplot.css">
  <style>
    :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2125; background: #f6f7f9; }
    body { margin: 0; padding: 16px 20px 24px; }
    header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
    h1 { font-size: 20px; margin: 0; }
    #status { font-weight: 600; padding: 2px 10px; border-radius: 12px; background: #dff3e4; color: #17612c; }
    #status.stopped { background: #fde4e1; color: #9b1c12; }
    #status.waiting { background: #fff3cd; color: #7a5b00; }
    #clock { color: #5b6570; }
    .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 14px 0; }
    .figure { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 8px 10px; display: flex; flex-direction: column; }
    .figure .value { font-size: 22px; font-variant-numeric: tabular-nums; }
    .figure .label { font-size: 12px; color: #5b6570; }
    .charts { display: grid; grid-template-columns: 1fr; gap: 12px; }
    @media (min-width: 900px) { .charts { grid-template-columns: 1fr 1fr; } }
    .chart { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 8px; min-width: 0; }
    .chart h2 { font-size: 14px; margin: 0 0 4px; font-weight: 600; }
    #nodes { margin-top: 12px; }
    #nodes table { border-collapse: collapse; background: #fff; }
    #nodes th, #nodes td { border: 1px solid #e1e4e8; padding: 4px 10px; text-align: right; font-variant-numeric: tabular-nums; }
    #nodes th:first-child, #nodes td:first-child { text-align: left; }
  </style>
</head>
<body data-seq="0" data-interval-ms="${intervalMs}">
  <header>
    <h1>${escapeHtml(title)}</h1>
    <span id="status" class="waiting">connecting…</span>
    <span id="clock"></span>
  </header>
  <section class="figures">
      ${figures}
  </section>
  <section class="charts">
    <div class="chart"><h2>Records delivered a second</h2><div id="chart-rate"></div></div>
    <div class="chart"><h2>Batch size (records)</h2><div id="chart-size"></div></div>
    <div class="chart"><h2>Latency per lane, creation → delivered (ms; p99 dashed)</h2><div id="chart-latency"></div></div>
    <div class="chart"><h2>Records waiting per lane</h2><div id="chart-depth"></div></div>
  </section>
  <section id="nodes" hidden>
    <h2>Worker nodes</h2>
    <table><thead><tr><th>node</th><th>batches</th><th>redelivered</th><th>seen lately</th></tr></thead><tbody></tbody></table>
  </section>
  <script type="module" src="/app.js"></script>
</body>
</html>
`;
}
