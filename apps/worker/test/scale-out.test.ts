/**
 * Scale-out end to end, as a user runs it: a real nats-server (started here
 * on a free loopback port with a temporary store), two `bun run worker`
 * nodes, and `bun run start --executor jetstream` reading a file into
 * SQLite. The same file through the local pool gives the same outcome for
 * every record; a node killed with SIGKILL mid-run changes nothing but the
 * report's redelivery count.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { createRandom } from "@poolstream/core";
import { type NatsServer, startNatsServer } from "@poolstream/jetstream/testing";

const dir = mkdtempSync(join(tmpdir(), "poolstream-scale-out-"));
const runner = join(import.meta.dir, "../../runner");
const workerScript = join(import.meta.dir, "../src/worker.ts");
let server: NatsServer;
const children = new Set<Bun.Subprocess>();
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const LINES = 30_000;
const input = join(dir, "readings.ndjson");
{
  const random = createRandom(11);
  const lines: string[] = [];
  for (let i = 0; i < LINES; i++) {
    if (i % 499 === 3) lines.push("{not json");
    else if (i % 733 === 9)
      lines.push(JSON.stringify({ sensorId: `s-${i % 40}`, value: 1e12 })); // out of range
    else lines.push(JSON.stringify({ sensorId: `s-${i % 40}`, value: Math.round(random() * 10_000) / 100 }));
  }
  writeFileSync(input, `${lines.join("\n")}\n`);
}

interface Node {
  readonly child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** Everything it printed, once it has ended. */
  readonly output: Promise<string>;
  /** Where its Prometheus metrics are, when started with --metrics. */
  readonly metricsUrl?: string;
}

/** A `bun run worker` node; resolves once it is pulling work. */
async function startNode(prefix: string, name: string, extra: readonly string[] = []): Promise<Node> {
  const child = Bun.spawn(
    ["bun", workerScript, "--server", server.url, "--prefix", prefix, "--workers", "1", "--name", name, ...extra],
    { stdout: "pipe", stderr: "pipe" },
  );
  children.add(child);
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`node ${name} ended before it was ready: ${seen}`);
    seen += decoder.decode(value, { stream: true });
  }
  const output = (async () => {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      seen += decoder.decode(next.value, { stream: true });
    }
    return seen;
  })();
  const metricsUrl = /metrics at (\S+)/.exec(seen)?.[1];
  return { child, output, ...(metricsUrl === undefined ? {} : { metricsUrl }) };
}

function start(db: string, extra: readonly string[], composed = true) {
  return Bun.spawn(
    [
      "bun",
      "src/programs/start.ts",
      "--input",
      input,
      "--output",
      `sqlite:${db}`,
      ...(composed
        ? ["--lanes", "priority", "--batch-size", "auto", "--on-failure", "dead-letter", "--dlq", ":memory:"]
        : ["--batch-size", "100"]),
      ...extra,
    ],
    { cwd: runner, stdout: "pipe", stderr: "pipe" },
  );
}

async function finished(child: ReturnType<typeof start>): Promise<{ code: number; out: string }> {
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) console.log(out, err);
  return { code, out };
}

function rowCount(db: string): number {
  try {
    const database = new Database(db, { readonly: true });
    try {
      return database.query<{ n: number }, []>("SELECT count(*) AS n FROM outcomes").get()?.n ?? 0;
    } finally {
      database.close();
    }
  } catch {
    return 0; // not made yet
  }
}

/** Resolves when the node's metrics say it holds a batch, or after `ms` (then the kill is left to chance). */
async function holdsABatch(metricsUrl: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const scraped = await (await fetch(metricsUrl)).text();
    if (/^poolstream_batches_held [1-9]/m.test(scraped)) return;
  }
}

/** Each record's outcome: what does not depend on how records were grouped into batches. */
function outcomes(db: string, columns = "sensor_id, seq, outcome, value, error_type, lane"): string[] {
  const database = new Database(db, { readonly: true });
  try {
    return database
      .query<Record<string, unknown>, []>(`SELECT ${columns} FROM outcomes ORDER BY seq, sensor_id`)
      .all()
      .map((row) => JSON.stringify(row));
  } finally {
    database.close();
  }
}

describe("bun run start --executor jetstream with two bun run worker nodes", () => {
  test("the composed pipeline gives every record the same outcome as on the local pool; so does a run in which a node is SIGKILLed", async () => {
    const prefix = "e2e";
    const nodes = [await startNode(prefix, "node-a", ["--metrics", "0"]), await startNode(prefix, "node-b")];
    const remote = ["--executor", "jetstream", "--server", server.url, "--prefix", prefix, "--capacity", "8"];

    const local = await finished(start(join(dir, "local.sqlite"), ["--workers", "2"]));
    expect(local.code).toBe(0);
    const expected = outcomes(join(dir, "local.sqlite"));
    expect(expected).toHaveLength(LINES);

    const calm = await finished(start(join(dir, "remote.sqlite"), remote));
    expect(calm.code).toBe(0);
    expect(calm.out).toMatch(/check: 30,000 entered = .*: OK/);
    expect(calm.out).toMatch(/node-a +[1-9]/);
    expect(calm.out).toMatch(/node-b +[1-9]/);
    expect(outcomes(join(dir, "remote.sqlite"))).toEqual(expected);

    // Killed while the run is in full flow (a sixth of the file written) and, by its metrics, holding a batch:
    // the batches it held go to node-b after the ack wait. A batch is held for a millisecond or two, so it may
    // have answered between the scrape and the kill: up to three trials, each with a fresh node-a, until one has
    // a batch redelivered; every trial must end with the same outcomes.
    let redelivered = 0;
    for (let trial = 1; trial <= 3 && redelivered === 0; trial++) {
      if (trial > 1) nodes[0] = await startNode(prefix, `node-a${trial}`, ["--metrics", "0"]);
      const db = join(dir, `killed-${trial}.sqlite`);
      const run = start(db, remote);
      while (rowCount(db) < LINES / 6) await Bun.sleep(20);
      await holdsABatch(nodes[0]?.metricsUrl as string, 3_000);
      nodes[0]?.child.kill("SIGKILL");
      const killed = await finished(run);
      expect(killed.code).toBe(0);
      expect(killed.out).toMatch(/check: 30,000 entered = .*: OK/);
      expect(outcomes(db)).toEqual(expected);
      redelivered = Number(/redeliveries (\d+)/.exec(killed.out)?.[1]);
      console.log(
        `scale-out trial ${trial}: a node SIGKILLed mid-run, ${redelivered} batches redelivered; every outcome as on the local pool`,
      );
    }
    expect(redelivered).toBeGreaterThan(0);

    nodes[1]?.child.kill("SIGTERM");
    expect(await nodes[1]?.child.exited).toBe(143);
  }, 120_000);

  test("batches of a fixed size through one FIFO lane: every column the same as on the local pool, statistics included", async () => {
    const prefix = "exact";
    const node = await startNode(prefix, "node-x", ["--metrics", "0"]);
    const local = await finished(start(join(dir, "fixed-local.sqlite"), ["--workers", "2"], false));
    const remote = await finished(
      start(
        join(dir, "fixed-remote.sqlite"),
        ["--executor", "jetstream", "--server", server.url, "--prefix", prefix],
        false,
      ),
    );
    expect([local.code, remote.code]).toEqual([0, 0]);
    // Every column but reading_time, which is when the line was read (the file has no timestamps).
    const all = "sensor_id, seq, outcome, value, normalized, rolling_mean, anomaly, error, error_type, lane";
    expect(outcomes(join(dir, "fixed-remote.sqlite"), all)).toEqual(outcomes(join(dir, "fixed-local.sqlite"), all));
    // The node's own metrics: every batch of the run computed there, none failed.
    const scraped = await (await fetch(node.metricsUrl as string)).text();
    const computed = Number(/poolstream_node_batches_total\{outcome="computed"\} (\d+)/.exec(scraped)?.[1]);
    expect(computed).toBe(Math.ceil(LINES / 100));
    expect(scraped).toContain('poolstream_node_batches_total{outcome="failed"} 0');
    expect(scraped).toContain("poolstream_workers_alive 1");
    node.child.kill("SIGINT");
    const [out, code] = await Promise.all([node.output, node.child.exited]);
    expect(code).toBe(130);
    expect(out).toContain("batches answered");
  }, 120_000);

  test("no node: at most --capacity batches wait in the server; past --batch-timeout they are recovered here; the report says so", async () => {
    const run = Bun.spawn(
      [
        "bun",
        "src/programs/start.ts",
        ...["--executor", "jetstream", "--server", server.url, "--prefix", "nonode", "--capacity", "4"],
        ...["--batch-timeout", "1", "--duration", "2", "--on-failure", "dead-letter", "--dlq", ":memory:"],
      ],
      { cwd: runner, stdout: "pipe", stderr: "pipe" },
    );
    children.add(run);
    const client = await connect({ servers: server.url });
    const manager = await jetstreamManager(client);
    let most = 0;
    while (run.exitCode === null) {
      try {
        most = Math.max(most, (await manager.streams.info("NONODE_WORK")).state.messages);
      } catch {
        // not made yet
      }
      await Bun.sleep(50);
    }
    await client.close();
    const { code, out } = await finished(run);
    expect(code).toBe(0);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(4);
    expect(out).toContain("no worker answered");
    expect(out).toMatch(/check: .* entered = .*: OK/);
    expect(Number(/recovered ([\d,]+)/.exec(out)?.[1]?.replace(/,/g, ""))).toBeGreaterThan(0);
  }, 60_000);
});
