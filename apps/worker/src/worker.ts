/**
 * `bun run worker --server nats://127.0.0.1:4222 --workers 2`: a worker node.
 * It pulls batches from the JetStream work stream, computes them on a
 * `WorkerPool` of this machine's threads, publishes each result and only
 * then acknowledges the batch (see `WorkerNode`). Any number of nodes, on
 * any machines, serve the pipelines that use the same server and prefix
 * (`bun run start --executor jetstream --server …`).
 *
 * Prints a line when it is ready and about once a second while it works; an
 * unreachable server is one line per attempt while it tries again with
 * backoff. SIGINT or SIGTERM drains it: it stops taking batches, finishes
 * and answers the ones it holds, prints its report and exits 130 / 143.
 */
import { hostname } from "node:os";
import { WorkerNode } from "@poolstream/jetstream";
import { parseNatsUrl } from "@poolstream/jetstream/url";
import { type MetricsServer, serveMetrics } from "@poolstream/metrics";
import { WorkerPool } from "@poolstream/pool";
import { failUsage, parsePort, readFlags } from "@poolstream/runner/cli/flags";
import { exitCodeAfter, interruptSignal } from "@poolstream/runner/cli/interrupt";
import { JSON_FLAG, printJson } from "@poolstream/runner/cli/json-output";
import { formatKeyValues, formatNumber } from "@poolstream/runner/report/text";
import { nodeMetrics } from "./node-metrics.ts";

const program = {
  usage: "bun run worker",
  summary: "A worker node: computes the batches of pipelines run with --executor jetstream, on this machine's threads.",
  flags: {
    server: {
      type: "string",
      default: "nats://127.0.0.1:4222",
      placeholder: "nats://host:port",
      description: "the NATS server (JetStream enabled) the pipelines use",
    },
    workers: { type: "integer", default: 2, min: 1, max: 256, description: "threads computing batches" },
    slots: {
      type: "integer",
      default: 0,
      min: 0,
      max: 10_000,
      description: "batches held at once (0: twice the threads)",
    },
    prefix: {
      type: "string",
      default: "poolstream",
      description: "names the streams; the same as the pipeline's --prefix",
    },
    name: { type: "string", placeholder: "id", description: "how the node is named in reports (default host-pid)" },
    json: JSON_FLAG,
    metrics: {
      type: "string",
      placeholder: "port",
      description: "serve Prometheus metrics at http://127.0.0.1:<port>/metrics (0: a free port)",
    },
  },
} as const;
const flags = readFlags(program);
const metricsPort = parsePort(program, "metrics", flags.metrics);
let server: string;
try {
  const address = parseNatsUrl(flags.server);
  if (address.prefix !== "") throw new Error("give the server only, e.g. nats://127.0.0.1:4222");
  server = address.server;
} catch (error) {
  failUsage(program, `--server: ${(error as Error).message}`);
}

const log = (line: string): void => console.log(`[worker] ${line}`);
// Kernels named by bare specifiers resolve from this app, which depends on the packages that define them.
const pool = new WorkerPool({ size: flags.workers, name: "worker-node", resolveFrom: import.meta.url });
let node: WorkerNode;
try {
  node = new WorkerNode({
    url: server,
    prefix: flags.prefix,
    executor: pool,
    slots: flags.slots === 0 ? 2 * flags.workers : flags.slots,
    ...(flags.name === undefined ? {} : { name: flags.name }),
    resolveKernel: async (ref) => {
      const module = (await import(ref.module)) as Record<string, unknown>;
      const kernel = module[ref.exportName];
      if (typeof kernel !== "function" || !("kernel" in kernel)) {
        throw new Error(`${ref.module} has no kernel named ${ref.exportName}`);
      }
      return kernel as never;
    },
    log,
  });
} catch (error) {
  await pool.close();
  failUsage(program, (error as Error).message);
}

let metricsServer: MetricsServer | undefined;
using metrics = metricsPort === undefined ? undefined : nodeMetrics(() => node.stats(), pool);
if (metrics !== undefined && metricsPort !== undefined) {
  const port = metricsPort;
  try {
    metricsServer = serveMetrics(metrics.registry, { port });
  } catch (error) {
    await pool.close();
    failUsage(program, `--metrics: cannot listen on port ${port} (${(error as Error).message})`);
  }
  log(`Prometheus metrics at ${metricsServer.url}`);
}

// The first SIGINT or SIGTERM drains the node (a second Ctrl-C within a second is the same request).
const interrupt = interruptSignal("worker");
interrupt.addEventListener("abort", () => void node.stop(), { once: true });

log(`node ${node.name} on ${hostname()}: ${flags.workers} threads, connecting to ${server} (prefix ${flags.prefix})`);
const startedAt = performance.now();
let lastAnswered = 0;
const status = setInterval(() => {
  const s = node.stats();
  if (s.answered === lastAnswered && s.running === 0) return; // nothing new: quiet
  lastAnswered = s.answered;
  log(
    `${formatNumber(s.answered)} batches answered (${s.failed} failed) · ${s.redelivered} redelivered to it · ${s.deadLettered} dead letters · holding ${s.running}`,
  );
}, 1_000);
await node.run();
clearInterval(status);
await metricsServer?.stop();
await pool.close();
const s = node.stats();
console.log(
  `\n${formatKeyValues([
    ["node", node.name],
    ["ran for", `${((performance.now() - startedAt) / 1000).toFixed(1)} s`],
    ["batches answered", formatNumber(s.answered)],
    ["of which failed", formatNumber(s.failed)],
    ["taken on redelivery", formatNumber(s.redelivered)],
    ["dead letters", formatNumber(s.deadLettered)],
    ["past their deadline", formatNumber(s.expired)],
  ])}`,
);
if (flags.json) {
  printJson({ program: "worker", ...s, threads: flags.workers, signal: interrupt.aborted ? interrupt.reason : null });
}
process.exitCode = exitCodeAfter(interrupt, 0);
