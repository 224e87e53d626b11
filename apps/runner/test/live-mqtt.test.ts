/**
 * The two-terminal flow of the README, with a real Mosquitto: `bun run
 * simulate --to mqtt://…` publishing, `bun run start --input mqtt://…
 * --output sqlite:… --alerts mqtt://…` reading, computing, storing every
 * reading once and publishing the CRITICAL ones as alerts.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Broker, startMosquitto } from "@poolstream/mqtt/testing";
import mqtt from "mqtt";

let broker: Broker;
const dir = mkdtempSync(join(tmpdir(), "poolstream-live-"));
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

const runner = `${import.meta.dir}/..`;

describe("simulate → MQTT → start → SQLite and alerts", () => {
  test("every reading published is in the database once; the CRITICAL ones come back as alerts", async () => {
    const db = join(dir, "live.sqlite");
    const alerts: string[] = [];
    const listener = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    listener.on("message", (topic) => alerts.push(topic));
    await listener.subscribeAsync("alerts/#", { qos: 1 });
    const start = Bun.spawn(
      [
        "bun",
        "src/programs/start.ts",
        "--input",
        `${broker.url}/live/#`,
        "--output",
        `sqlite:${db}`,
        "--lanes",
        "priority",
        "--alerts",
        `${broker.url}/alerts`,
        "--duration",
        "5",
      ],
      { cwd: runner, stdout: "pipe", stderr: "pipe" },
    );
    // Published only once the pipeline is subscribed: before that, a reading has no session to wait in.
    const reader = start.stdout.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    while (!seen.includes("subscribed to")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
    }
    const startOutput = (async () => {
      for (let next = await reader.read(); !next.done; next = await reader.read())
        seen += decoder.decode(next.value, { stream: true });
      return seen;
    })();
    const simulate = Bun.spawnSync(
      [
        "bun",
        "src/programs/simulate.ts",
        "--to",
        `${broker.url}/live`,
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
    expect(await start.exited).toBe(0);
    const report = await startOutput;
    expect(report).toContain("connected to");
    expect(report).toContain(
      `check: ${published.toLocaleString("en-US")} entered = ${published.toLocaleString("en-US")} results`,
    );
    const database = new Database(db, { readonly: true });
    const rows = database.query<{ n: number }, []>("SELECT count(*) AS n FROM outcomes").get()?.n;
    const critical =
      database.query<{ n: number }, []>("SELECT count(*) AS n FROM outcomes WHERE lane = 'CRITICAL'").get()?.n ?? 0;
    database.close();
    expect(rows).toBe(published);
    const alertsPublished = Number(/: ([\d,]+) alerts published/.exec(report)?.[1]?.replaceAll(",", "") ?? Number.NaN);
    expect(alertsPublished).toBe(critical);
    for (let i = 0; i < 100 && alerts.length < critical; i++) await Bun.sleep(20);
    expect(alerts).toHaveLength(critical);
    expect(critical).toBeGreaterThan(0);
    await listener.endAsync();
  }, 60_000);

  test("simulate and start say what is wrong with a bad address, in one line, exit 2", () => {
    for (const [program, args] of [
      ["simulate", ["--to", "mqtt://127.0.0.1:1/sensors/#"]],
      ["simulate", []],
      ["start", ["--input", "mqtt://127.0.0.1:1"]],
      ["start", ["--alerts", "mqtt://127.0.0.1:1/alerts"]],
    ] as const) {
      const child = Bun.spawnSync(["bun", `src/programs/${program}.ts`, ...args], {
        cwd: runner,
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(child.exitCode).toBe(2);
      expect(child.stderr.toString().trim().split("\n")).toHaveLength(1);
    }
  }, 30_000);
});
