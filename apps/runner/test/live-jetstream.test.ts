/**
 * The README's JetStream flow with a real nats-server: `bun run simulate --to
 * nats://…` publishing into a stream, `bun run start --input nats://… --output
 * sqlite:… --alerts nats://…` reading it durably, storing every reading once
 * and publishing the CRITICAL ones into an alerts stream.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type NatsServer, startNatsServer } from "@poolstream/jetstream/testing";

let server: NatsServer;
const dir = mkdtempSync(join(tmpdir(), "poolstream-live-js-"));
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const runner = `${import.meta.dir}/..`;

describe("simulate → JetStream → start → SQLite and alerts", () => {
  test("every reading published is in the database once; the CRITICAL ones are in the alerts stream", async () => {
    const simulate = Bun.spawnSync(
      [
        "bun",
        "src/programs/simulate.ts",
        "--to",
        `${server.url}/plant`,
        "--rate",
        "1000",
        "--duration",
        "1.5",
        "--sensors",
        "5",
      ],
      { cwd: runner, stdout: "pipe", stderr: "pipe", timeout: 30_000, killSignal: "SIGKILL" },
    );
    expect(simulate.exitCode).toBe(0);
    const published = Number(
      /readings published \.+ ([\d,]+)/.exec(simulate.stdout.toString())?.[1]?.replaceAll(",", ""),
    );
    expect(published).toBeGreaterThan(1000);
    // The stream holds them already: a durable input is read whenever the pipeline comes.
    const db = join(dir, "plant.sqlite");
    const start = Bun.spawnSync(
      [
        "bun",
        "src/programs/start.ts",
        "--input",
        `${server.url}/plant`,
        "--output",
        `sqlite:${db}`,
        "--lanes",
        "priority",
        "--alerts",
        `${server.url}/plant-alerts`,
        "--duration",
        "4",
      ],
      { cwd: runner, stdout: "pipe", stderr: "pipe", timeout: 30_000, killSignal: "SIGKILL" },
    );
    const report = start.stdout.toString();
    expect(start.exitCode).toBe(0);
    expect(report).toContain(
      `check: ${published.toLocaleString("en-US")} entered = ${published.toLocaleString("en-US")} results`,
    );
    const database = new Database(db, { readonly: true });
    const rows = database.query<{ n: number }, []>("SELECT count(*) AS n FROM outcomes").get()?.n;
    const critical =
      database.query<{ n: number }, []>("SELECT count(*) AS n FROM outcomes WHERE lane = 'CRITICAL'").get()?.n ?? 0;
    database.close();
    expect(rows).toBe(published);
    expect(critical).toBeGreaterThan(0);
    const connection = await connect({ servers: server.url });
    const manager = await jetstreamManager(connection);
    expect((await manager.streams.info("PLANT_ALERTS")).state.messages).toBe(critical);
    // Every reading was acknowledged: nothing is left for the next run.
    const consumer = await manager.consumers.info("PLANT", "poolstream");
    expect(consumer.num_pending + consumer.num_ack_pending).toBe(0);
    await connection.drain();
  }, 60_000);
});
