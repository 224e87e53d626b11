/**
 * The JetStream source against a real nats-server (started by the test on a
 * free loopback port with a temporary store, and stopped).
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { createRandom, fixedSize, InProcessExecutor, InvalidArgumentError, type SensorRecord } from "@poolstream/core";
import { faultTolerantTransport } from "@poolstream/faults";
import { pipeline } from "@poolstream/pipeline";
import { SqliteSink } from "@poolstream/sink";
import { JetStreamSource } from "../src/jetstream-source.ts";
import { type NatsServer, startNatsServer } from "../src/testing/nats-server.ts";

let server: NatsServer;
const dir = mkdtempSync(join(tmpdir(), "poolstream-jetstream-"));
beforeAll(async () => {
  server = await startNatsServer();
});
// Consumers a failed test did not stop: killed, so that none outlives the run (and holds its output open).
const children = new Set<Bun.Subprocess>();
function track<T extends Bun.Subprocess>(child: T): T {
  children.add(child);
  return child;
}
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function identities(path: string): { ids: Set<string>; rows: number; intact: boolean; errors: number } {
  if (!existsSync(path)) return { ids: new Set(), rows: 0, intact: true, errors: 0 };
  const db = new Database(path, { readonly: true });
  try {
    const intact = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()?.integrity_check === "ok";
    if (db.query("SELECT 1 FROM sqlite_master WHERE name = 'outcomes'").get() === null) {
      return { ids: new Set(), rows: 0, intact, errors: 0 };
    }
    const rows = db
      .query<{ id: string; outcome: string }, []>("SELECT sensor_id || '/' || seq AS id, outcome FROM outcomes")
      .all();
    return {
      ids: new Set(rows.map((r) => r.id)),
      rows: rows.length,
      intact,
      errors: rows.filter((r) => r.outcome === "error").length,
    };
  } finally {
    db.close();
  }
}

function rowCount(path: string): number {
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true });
  try {
    return db.query<{ n: number }, []>("SELECT count(*) AS n FROM outcomes").get()?.n ?? 0;
  } catch {
    return 0; // made, and no table yet
  } finally {
    db.close();
  }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(25);
  }
  return true;
}

/** Publishes `n` readings to `<prefix>.s-<i % sensors>`, each with a message id, so a retried publish is stored once. */
async function publish(stream: string, prefix: string, n: number, from = 0): Promise<void> {
  const connection = await connect({ servers: server.url });
  const manager = await jetstreamManager(connection);
  try {
    await manager.streams.info(stream);
  } catch {
    await manager.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: "file" } as never);
  }
  const js = jetstream(connection);
  const sends: Promise<unknown>[] = [];
  for (let i = from; i < from + n; i++) {
    sends.push(
      js.publish(`${prefix}.s-${i % 10}`, JSON.stringify({ value: (i * 7) % 100 }), { msgID: `${stream}-${i}` }),
    );
    if (sends.length >= 500) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
  await connection.drain();
}

function consumerRun(stream: string, path: string) {
  // An ack wait well beyond a batch's time here, even on a loaded machine: these runs count each message
  // once, so none may be delivered again because a heartbeat came late (the crash tests cover redelivery).
  const source = new JetStreamSource({ url: server.url, stream, checkpoint: true, ackWaitMs: 10_000 });
  const sink = new SqliteSink<SensorRecord>({
    path,
    checkpoint: source.checkpoint as NonNullable<JetStreamSource["checkpoint"]>,
  });
  const executor = new InProcessExecutor();
  const controller = new AbortController();
  const running = pipeline({
    source,
    executor,
    transport: faultTolerantTransport("objects"),
    sizer: fixedSize(100),
    maxWaitMs: 20,
    sinks: [sink],
  }).run(controller.signal);
  return { source, controller, running };
}

describe("JetStreamSource with a real nats-server", () => {
  test("10,000 readings in the stream all reach the database, keyed by stream sequence, and every one is acknowledged", async () => {
    await publish("BULK", "bulk", 10_000);
    const path = join(dir, "bulk.sqlite");
    const { source, controller, running } = consumerRun("BULK", path);
    expect(await until(() => identities(path).rows === 10_000, 30_000)).toBe(true);
    controller.abort();
    const report = await running;
    expect(report.accounting).toMatchObject({ entered: 10_000, results: 10_000, holds: true });
    expect(source.unacknowledged).toBe(0);
    // Stopped cleanly: its connection is gone from the server.
    expect(await server.connections()).toBe(0);
    const connection = await connect({ servers: server.url });
    const info = await (await jetstreamManager(connection)).consumers.info("BULK", "poolstream");
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    await connection.drain();
  }, 60_000);

  test("payloads that are not readings are error records; the sensor id comes from the subject", async () => {
    const connection = await connect({ servers: server.url });
    const manager = await jetstreamManager(connection);
    await manager.streams.add({ name: "MIXED", subjects: ["mixed.>"], storage: "file" } as never);
    const js = jetstream(connection);
    for (const payload of [
      '{"value":5}',
      "{truncated",
      '{"value":"hot"}',
      "[1]",
      '{"seq":9,"value":1,"sensorId":"named"}',
    ]) {
      await js.publish("mixed.pump-3", payload);
    }
    await connection.drain();
    const path = join(dir, "mixed.sqlite");
    const { controller, running } = consumerRun("MIXED", path);
    expect(await until(() => identities(path).rows === 5, 10_000)).toBe(true);
    controller.abort();
    const report = await running;
    expect(report.accounting).toMatchObject({ entered: 5, results: 2, errorRecords: 3, holds: true });
    expect([...identities(path).ids].sort()).toEqual([
      "jetstream:MIXED/2",
      "jetstream:MIXED/3",
      "jetstream:MIXED/4",
      "named/9",
      "pump-3/1",
    ]);
  }, 30_000);

  test("20 trials of a consumer killed with SIGKILL and started again: every message in the database once, never corrupt", async () => {
    const consumer = new URL("./fixtures/consume.ts", import.meta.url).pathname;
    const random = createRandom(12);
    let kills = 0;
    let midRun = 0;
    for (let trial = 0; trial < 20; trial++) {
      const stream = `CRASH${trial}`;
      await publish(stream, `crash${trial}`, 1_000);
      const path = join(dir, `crash-${trial}.sqlite`);
      const start = () =>
        track(Bun.spawn(["bun", consumer, server.url, stream, path], { stdout: "pipe", stderr: "inherit" }));
      let child = start();
      await child.stdout.getReader().read();
      // Killed once it has written a random share of the stream: while rows are being written.
      const killAt = 100 + Math.floor(random() * 800);
      await until(() => rowCount(path) >= killAt, 10_000);
      child.kill("SIGKILL");
      await child.exited;
      kills++;
      const after = identities(path);
      expect(after.intact).toBe(true);
      if (after.rows > 0 && after.rows < 1_000) midRun++;
      child = start();
      await child.stdout.getReader().read();
      const complete = await until(() => identities(path).rows === 1_000, 20_000);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      expect(complete).toBe(true);
      const { ids, intact } = identities(path);
      expect(intact).toBe(true);
      expect(ids).toEqual(new Set(Array.from({ length: 1_000 }, (_, i) => `s-${i % 10}/${i + 1}`)));
    }
    console.log(`jetstream crash-restart: ${kills} SIGKILLs, ${midRun} while rows were being written`);
    expect(midRun).toBeGreaterThanOrEqual(10);
  }, 180_000);

  test("the server restarted mid-run: the source reconnects and the run completes", async () => {
    await publish("RESTART", "restart", 500);
    const path = join(dir, "restart.sqlite");
    const lines: string[] = [];
    const source = new JetStreamSource({
      url: server.url,
      stream: "RESTART",
      checkpoint: true,
      ackWaitMs: 1_000,
      log: (l) => lines.push(l),
    });
    const sink = new SqliteSink<SensorRecord>({
      path,
      checkpoint: source.checkpoint as NonNullable<JetStreamSource["checkpoint"]>,
    });
    const controller = new AbortController();
    const running = pipeline({
      source,
      executor: new InProcessExecutor(),
      transport: faultTolerantTransport("objects"),
      sizer: fixedSize(50),
      maxWaitMs: 20,
      sinks: [sink],
    }).run(controller.signal);
    expect(await until(() => identities(path).rows === 500, 10_000)).toBe(true);
    await server.restart();
    await publish("RESTART", "restart", 500, 500);
    expect(await until(() => identities(path).rows === 1_000, 30_000)).toBe(true);
    controller.abort();
    expect((await running).accounting.holds).toBe(true);
    expect(lines.some((line) => line.startsWith("lost"))).toBe(true);
  }, 60_000);

  test("options are checked", () => {
    expect(() => new JetStreamSource({ url: "http://x", stream: "S" })).toThrow(InvalidArgumentError);
    expect(() => new JetStreamSource({ url: "nats://127.0.0.1:1", stream: "no spaces" })).toThrow("stream");
    expect(() => new JetStreamSource({ url: "nats://127.0.0.1:1", stream: "S", ackWaitMs: 0 })).toThrow("ackWaitMs");
    expect(() => new JetStreamSource({ url: "nats://127.0.0.1:1", stream: "S", maxAckPending: 0 })).toThrow(
      "maxAckPending",
    );
  });
});
