/**
 * Scale-out through NATS JetStream, on this one machine: a real nats-server,
 * a real `bun run worker` node of two threads, and the same pipeline pass on
 * the `JetStreamExecutor` against the local `WorkerPool`, in one run. Also:
 * what the broker costs per batch (a batch's round trip through the server
 * against the local pool's, one batch at a time), the CPU the server, the
 * pipeline's process and the node spend per batch (from /proc), how long a
 * killed node's batches take to come back (10 kills), and from those figures
 * the expected records/s of 1, 4, 16 and 64 nodes.
 */
import { readFileSync } from "node:fs";
import { fixedSize } from "@poolstream/core";
import { JetStreamExecutor } from "@poolstream/jetstream";
import { startNatsServer } from "@poolstream/jetstream/testing";
import type { KernelName } from "../ceiling-kernels.ts";
import { formatRate, measureThroughput, median, ratio } from "../measure.ts";
import { runPipeline } from "../pipeline-pass.ts";
import { spinFor } from "../scaleout-kernels.ts";
import { transportsFor } from "./peers.ts";
import { type BenchContext, type SectionReport, targetRow } from "./section.ts";

const WORKER_PROGRAM = new URL("../../../worker/src/worker.ts", import.meta.url).pathname;
const CASES: readonly { readonly kernel: KernelName; readonly size: number }[] = [
  { kernel: "light", size: 100 },
  { kernel: "light", size: 1000 },
  { kernel: "heavy", size: 100 },
  { kernel: "heavy", size: 1000 },
];
const KILLS = 10;

/** CPU seconds (user + system) a process has used, from /proc; 0 where there is none. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    // After the command: state is field 3, utime 14 and stime 15, so 11 and 12 here; in clock ticks (100 a second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

interface NodeProcess {
  readonly child: Bun.Subprocess<"ignore", "pipe", "ignore">;
}

async function startNode(url: string, prefix: string, name: string, threads: number): Promise<NodeProcess> {
  const child = Bun.spawn(
    ["bun", WORKER_PROGRAM, "--server", url, "--prefix", prefix, "--workers", String(threads), "--name", name],
    { stdout: "pipe", stderr: "ignore" },
  );
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`worker node ${name} ended before it was ready: ${seen}`);
    seen += new TextDecoder().decode(value);
  }
  // The rest of its output is read and dropped, so that a full pipe never stops it.
  void (async () => {
    while (!(await reader.read()).done) {
      // discarded
    }
  })();
  return { child };
}

export async function scaleOutSection(ctx: BenchContext): Promise<SectionReport> {
  const server = await startNatsServer();
  const nodes: NodeProcess[] = [];
  try {
    const node = await startNode(server.url, "bench", "bench-node", ctx.workers);
    nodes.push(node);
    await using executor = new JetStreamExecutor({ url: server.url, prefix: "bench", capacity: 16, ackWaitMs: 5_000 });
    await executor.ready();
    const count = ctx.records.length;
    const rows: string[] = [];
    const measured = new Map<string, { local: number; remote: number; cpu: CpuPerBatch }>();
    for (const { kernel, size } of CASES) {
      const { columnar } = transportsFor(kernel);
      const local = await measureThroughput(count, ctx.samples, () =>
        runPipeline(ctx.pool, columnar, ctx.records, fixedSize(size)),
      );
      const before = cpuNow(server.pid(), node.child.pid);
      const batchesBefore = executor.stats().completed;
      const remote = await measureThroughput(count, ctx.samples, () =>
        runPipeline(executor, columnar, ctx.records, fixedSize(size)),
      );
      const cpu = cpuPerBatch(before, cpuNow(server.pid(), node.child.pid), executor.stats().completed - batchesBefore);
      measured.set(`${kernel}/${size}`, { local: local.recordsPerSec, remote: remote.recordsPerSec, cpu });
      ctx.progress(
        `scale-out ${kernel}, batch ${size}: local ${formatRate(local.recordsPerSec)}, JetStream ${formatRate(remote.recordsPerSec)} (${ratio(remote.recordsPerSec, local.recordsPerSec)}); CPU per batch: server ${cpu.serverUs.toFixed(0)} µs, pipeline ${cpu.pipelineUs.toFixed(0)} µs, node ${cpu.nodeUs.toFixed(0)} µs`,
      );
      rows.push(
        `| ${kernel}, columns, batch ${size} | ${formatRate(local.recordsPerSec)} | ${formatRate(remote.recordsPerSec)} | ${ratio(remote.recordsPerSec, local.recordsPerSec)} | ${cpu.serverUs.toFixed(0)} µs | ${cpu.pipelineUs.toFixed(0)} µs | ${cpu.nodeUs.toFixed(0)} µs |`,
      );
    }

    // The broker's cost per batch: one batch at a time, so nothing overlaps, through the server and locally.
    const costRows: string[] = [];
    const brokerCost = new Map<number, number>();
    for (const size of [100, 1000]) {
      const { columnar } = transportsFor("light");
      const batch = ctx.records.slice(0, size);
      const roundTrip = async (run: () => Promise<unknown>): Promise<number> => {
        const times: number[] = [];
        for (let i = 0; i < 300; i++) {
          const started = performance.now();
          await run();
          if (i >= 20) times.push(performance.now() - started); // the first ones warm up
        }
        return median(times);
      };
      const local = await roundTrip(() => runPipeline(ctx.pool, columnar, batch, fixedSize(size)));
      const remote = await roundTrip(() => runPipeline(executor, columnar, batch, fixedSize(size)));
      brokerCost.set(size, remote - local);
      ctx.progress(
        `scale-out broker cost, light batch ${size}: ${(remote * 1000).toFixed(0)} µs a batch through JetStream, ${(local * 1000).toFixed(0)} µs locally`,
      );
      costRows.push(
        `| ${size} | ${(local * 1000).toFixed(0)} µs | ${(remote * 1000).toFixed(0)} µs | ${((remote - local) * 1000).toFixed(0)} µs |`,
      );
    }

    const redelivery = await measureRedelivery(server.url, ctx.progress);
    const heavy = measured.get("heavy/1000");
    const light = measured.get("light/1000");
    const heavyRatio = heavy === undefined ? 0 : heavy.remote / heavy.local;
    const lightRate = light?.remote ?? 0;
    const targets = [
      targetRow(
        "JetStream, heavy kernel, batch 1000, one node of 2 threads ≥ 0.8× the local pool",
        `${heavyRatio.toFixed(2)}×`,
        heavyRatio >= 0.8,
      ),
      targetRow("JetStream, light kernel, batch 1000 ≥ 2 M records/s", formatRate(lightRate), lightRate >= 2e6),
    ];
    const why: string[] = [];
    if (lightRate < 2e6 && light !== undefined) {
      why.push(
        `- **JetStream light kernel at batch 1000 (${formatRate(lightRate)} against 2 M/s)**: the light kernel computes 1,000 records in microseconds, so each batch costs what moving it costs: the pipeline's process spends ${light.cpu.pipelineUs.toFixed(0)} µs of CPU per batch (encoding the 37 kB body, publishing it, reading the result), the server ${light.cpu.serverUs.toFixed(0)} µs, the node ${light.cpu.nodeUs.toFixed(0)} µs, ${(light.cpu.pipelineUs + light.cpu.serverUs + light.cpu.nodeUs).toFixed(0)} µs in all on a machine with 2 cores: at most ~${formatRate((2e6 / (light.cpu.pipelineUs + light.cpu.serverUs + light.cpu.nodeUs)) * 1000)} if every core did nothing else. On separate machines the three would not share cores.`,
      );
    }
    if (heavyRatio < 0.8 && heavy !== undefined) {
      why.push(
        `- **JetStream heavy kernel at batch 1000 (${heavyRatio.toFixed(2)}× the local pool)**: the node's two threads compete for this machine's two cores with the server (${heavy.cpu.serverUs.toFixed(0)} µs a batch) and the pipeline's process (${heavy.cpu.pipelineUs.toFixed(0)} µs a batch), which the local pool does not have to carry.`,
      );
    }
    return {
      markdown: [
        "## Scale-out: the JetStream executor against the local pool",
        "",
        `One real \`nats-server\` (JetStream, file storage), one \`bun run worker\` node of ${ctx.workers} threads and the pipeline, all on this 2-core machine; the same pipeline pass on the local WorkerPool (${ctx.workers} workers) and on the \`JetStreamExecutor\` (capacity 16). CPU per batch is read from /proc over the JetStream passes: what the server, the pipeline's process and the node each spent, divided by the batches.`,
        "",
        "| kernel, batch | local pool | JetStream, 1 node | × local | server CPU a batch | pipeline CPU a batch | node CPU a batch |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ...rows,
        "",
        "What the broker adds to one batch (publish, fetch, result, acknowledgement), light kernel, one batch at a time, median of 280:",
        "",
        "| batch | local round trip | JetStream round trip | broker cost |",
        "| ---: | ---: | ---: | ---: |",
        ...costRows,
        "",
        `Redelivery after a node is killed with SIGKILL while it holds batches (ack wait 1 s, ${KILLS} kills): from the kill to the last of its batches answered by the other node, p50 ${redelivery.p50.toFixed(0)} ms, max ${redelivery.max.toFixed(0)} ms.`,
        "",
        ...scalingTable(measured, ctx.workers),
      ],
      targets,
      why,
    };
  } finally {
    for (const { child } of nodes) child.kill("SIGTERM");
    await Promise.all(nodes.map(({ child }) => child.exited));
    await server.stop();
  }
}

interface CpuSnapshot {
  readonly server: number;
  readonly pipeline: number;
  readonly node: number;
}
interface CpuPerBatch {
  readonly serverUs: number;
  readonly pipelineUs: number;
  readonly nodeUs: number;
}

function cpuNow(serverPid: number | undefined, nodePid: number): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    server: cpuSeconds(serverPid),
    pipeline: (usage.user + usage.system) / 1e6,
    node: cpuSeconds(nodePid),
  };
}

function cpuPerBatch(before: CpuSnapshot, after: CpuSnapshot, batches: number): CpuPerBatch {
  const per = (seconds: number): number => (batches > 0 ? (seconds * 1e6) / batches : 0);
  return {
    serverUs: per(after.server - before.server),
    pipelineUs: per(after.pipeline - before.pipeline),
    nodeUs: per(after.node - before.node),
  };
}

/**
 * Kills a node holding batches, `KILLS` times: each time a fresh victim and a
 * survivor share 8 batches of 100 ms; the time from the kill to the last
 * batch answered is the recovery (the ack wait, then the survivor's compute).
 */
async function measureRedelivery(url: string, progress: (line: string) => void): Promise<{ p50: number; max: number }> {
  const survivor = await startNode(url, "redeliver", "survivor", 1);
  const times: number[] = [];
  try {
    for (let kill = 1; kill <= KILLS; kill++) {
      const victim = await startNode(url, "redeliver", `victim-${kill}`, 1);
      await using executor = new JetStreamExecutor({ url, prefix: "redeliver", capacity: 8, ackWaitMs: 1_000 });
      await executor.ready();
      const runs = Array.from({ length: 8 }, () => executor.run(spinFor, 100));
      await Bun.sleep(150); // both nodes hold batches now
      victim.child.kill("SIGKILL");
      const killedAt = performance.now();
      await victim.child.exited;
      await Promise.all(runs);
      const stats = executor.stats();
      if (stats.redeliveries > 0) times.push(performance.now() - killedAt);
      progress(
        `scale-out redelivery ${kill}/${KILLS}: ${stats.redeliveries} batches redelivered, all answered ${(performance.now() - killedAt).toFixed(0)} ms after the kill`,
      );
    }
  } finally {
    survivor.child.kill("SIGTERM");
    await survivor.child.exited;
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: median(sorted), max: sorted.at(-1) ?? 0 };
}

/**
 * Expected records/s for 1, 4, 16 and 64 nodes, from this run's figures: each
 * node adds its measured rate until the server or the one pipeline process
 * feeding it runs out of CPU (one core each, which is what one process of
 * each can use for this work).
 */
function scalingTable(
  measured: ReadonlyMap<string, { local: number; remote: number; cpu: CpuPerBatch }>,
  threads: number,
): string[] {
  const lines = [
    "### Scaling on paper",
    "",
    `From the figures above: one node of ${threads} threads computes at the local pool's rate (on a machine of its own it would not share cores with the server and the pipeline); the server and the pipeline's process each spend the CPU per batch measured above, so each caps the batches per second at 1 / that cost (one core's worth: the pipeline's main thread is one thread, and the server's JetStream work per stream is largely serialized too). Expected records/s = min(nodes × per-node rate, server cap, pipeline cap).`,
    "",
    "| kernel, batch | per node | server cap | pipeline cap | 1 node | 4 nodes | 16 nodes | 64 nodes | the limit from |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const [key, { local, cpu }] of measured) {
    const [kernel, sizeText] = key.split("/");
    const size = Number(sizeText);
    const serverCap = cpu.serverUs > 0 ? (1e6 / cpu.serverUs) * size : Number.POSITIVE_INFINITY;
    const pipelineCap = cpu.pipelineUs > 0 ? (1e6 / cpu.pipelineUs) * size : Number.POSITIVE_INFINITY;
    const at = (n: number): number => Math.min(n * local, serverCap, pipelineCap);
    const nodesToLimit = Math.ceil(Math.min(serverCap, pipelineCap) / local);
    const limitedBy = serverCap < pipelineCap ? "the server" : "the pipeline's process";
    lines.push(
      `| ${kernel}, batch ${size} | ${formatRate(local)} | ${formatRate(serverCap)} | ${formatRate(pipelineCap)} | ${formatRate(at(1))} | ${formatRate(at(4))} | ${formatRate(at(16))} | ${formatRate(at(64))} | ${limitedBy}, from ~${nodesToLimit} node${nodesToLimit === 1 ? "" : "s"} |`,
    );
  }
  // Where scale-out pays: a kernel a hundred times the heavy one, whose batches cost the same to move.
  const heavy = measured.get("heavy/1000");
  if (heavy !== undefined) {
    const perNode = heavy.local / 100;
    const serverCap = (1e6 / heavy.cpu.serverUs) * 1000;
    const pipelineCap = (1e6 / heavy.cpu.pipelineUs) * 1000;
    const at = (n: number): number => Math.min(n * perNode, serverCap, pipelineCap);
    const nodesToLimit = Math.ceil(Math.min(serverCap, pipelineCap) / perNode);
    lines.push(
      `| 100× heavy, batch 1000 (estimated: the heavy row's costs, a hundredth of its rate) | ${formatRate(perNode)} | ${formatRate(serverCap)} | ${formatRate(pipelineCap)} | ${formatRate(at(1))} | ${formatRate(at(4))} | ${formatRate(at(16))} | ${formatRate(at(64))} | ${serverCap < pipelineCap ? "the server" : "the pipeline's process"}, from ~${nodesToLimit} nodes |`,
    );
  }
  lines.push(
    "",
    "Read: with kernels as cheap as these, one pipeline process and one server move batches no faster than one node computes them, so more nodes add nothing; scale-out pays when a batch's compute outweighs its moving (the last row: linear up to dozens of nodes), and beyond that by running several pipelines (sharded by sensor) against the server. The caps assume one core each; the server uses more than one core across streams, so with several pipelines its cap is higher than shown.",
    "",
  );
  return lines;
}
