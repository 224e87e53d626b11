/**
 * The MQTT source against a real Mosquitto (started by the test on a free
 * loopback port with the package's configuration, and stopped).
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRandom, fixedSize, InProcessExecutor, InvalidArgumentError, type SensorRecord } from "@poolstream/core";
import { faultTolerantTransport } from "@poolstream/faults";
import { pipeline } from "@poolstream/pipeline";
import { SqliteSink } from "@poolstream/sink";
import mqtt from "mqtt";
import { MqttSource } from "../src/mqtt-source.ts";
import { type Broker, startMosquitto } from "../src/testing/mosquitto.ts";

let broker: Broker;
const dir = mkdtempSync(join(tmpdir(), "poolstream-mqtt-"));
beforeAll(async () => {
  broker = await startMosquitto();
});
// Consumers a failed test did not stop: killed, so that none outlives the run (and holds its output open).
const children = new Set<Bun.Subprocess>();
function track<T extends Bun.Subprocess>(child: T): T {
  children.add(child);
  return child;
}
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

function rows(path: string): { outcome: string; n: number }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .query<{ outcome: string; n: number }, []>("SELECT outcome, count(*) AS n FROM outcomes GROUP BY outcome")
      .all();
  } catch {
    return [];
  } finally {
    db.close();
  }
}
const count = (path: string) => rows(path).reduce((sum, row) => sum + row.n, 0);

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(25);
  }
  return true;
}

/** Publishes `n` readings of `sensors` sensors at QoS 1, in bursts of `burst` sent at once, `pauseMs` apart. */
async function publish(
  topic: string,
  n: number,
  options: { sensors?: number; burst?: number; from?: number; pauseMs?: number } = {},
) {
  const { sensors = 10, burst = 500, from = 0, pauseMs = 0 } = options;
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  for (let at = from; at < from + n; at += burst) {
    const sends: Promise<unknown>[] = [];
    for (let i = at; i < Math.min(at + burst, from + n); i++) {
      const sensorId = `s-${i % sensors}`;
      sends.push(
        client.publishAsync(`${topic}/${sensorId}`, JSON.stringify({ seq: i, value: (i * 7) % 100 }), { qos: 1 }),
      );
    }
    await Promise.all(sends);
    if (pauseMs > 0) await Bun.sleep(pauseMs);
  }
  await client.endAsync();
}

describe("MqttSource with a real Mosquitto", () => {
  test("10,000 readings published at QoS 1 in bursts all arrive, and the accounting holds", async () => {
    const path = join(dir, "burst.sqlite");
    const source = new MqttSource({
      url: broker.url,
      topics: ["burst/#"],
      clientId: "burst-consumer",
      checkpoint: true,
    });
    const sink = new SqliteSink<SensorRecord>({
      path,
      checkpoint: source.checkpoint as NonNullable<MqttSource["checkpoint"]>,
    });
    await using executor = new InProcessExecutor();
    const controller = new AbortController();
    const running = pipeline({
      source,
      executor,
      transport: faultTolerantTransport("objects"),
      sizer: fixedSize(100),
      maxWaitMs: 20,
      sinks: [sink],
    }).run(controller.signal);
    await Bun.sleep(200); // subscribed
    await publish("burst", 10_000, { burst: 2_000 });
    expect(await until(() => count(path) === 10_000, 30_000)).toBe(true);
    controller.abort();
    const report = await running;
    expect(report.accounting).toMatchObject({ entered: 10_000, results: 10_000, holds: true });
    expect(source.unacknowledged).toBe(0);
    // Stopped cleanly: the broker counts no client but the one asking.
    expect(await broker.clientsConnected()).toBe(0);
  }, 60_000);

  test("a payload that is not a reading is an error record; the sensor id comes from the topic when the payload has none", async () => {
    const path = join(dir, "bad.sqlite");
    const source = new MqttSource({ url: broker.url, topics: ["bad/#"], clientId: "bad-consumer", checkpoint: true });
    const sink = new SqliteSink<SensorRecord>({
      path,
      checkpoint: source.checkpoint as NonNullable<MqttSource["checkpoint"]>,
    });
    await using executor = new InProcessExecutor();
    const controller = new AbortController();
    const running = pipeline({
      source,
      executor,
      transport: faultTolerantTransport("objects"),
      sizer: fixedSize(10),
      maxWaitMs: 20,
      sinks: [sink],
    }).run(controller.signal);
    await Bun.sleep(200);
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    for (const [topic, payload] of [
      ["bad/pump-7", '{"seq":1,"value":42}'],
      ["bad/pump-7", "{truncated"],
      ["bad/pump-7", '{"seq":2,"value":"hot"}'],
      ["bad/pump-7", "[1,2]"],
      ["bad/pump-7", Buffer.from([0xff, 0xfe, 0x00])],
      ["bad/pump-7", '{"seq":3,"value":null}'],
    ] as const) {
      await client.publishAsync(topic, payload as string, { qos: 1 });
    }
    await client.endAsync();
    expect(await until(() => count(path) === 6, 10_000)).toBe(true);
    controller.abort();
    const report = await running;
    expect(report.accounting).toMatchObject({ entered: 6, results: 1, errorRecords: 5, holds: true });
    const db = new Database(path, { readonly: true });
    const found = db
      .query<{ sensor_id: string; seq: number; outcome: string; error: string | null }, []>(
        "SELECT sensor_id, seq, outcome, error FROM outcomes ORDER BY outcome DESC, seq",
      )
      .all();
    db.close();
    expect(found[0]).toMatchObject({ sensor_id: "pump-7", seq: 1, outcome: "result" });
    const errors = found.filter((row) => row.outcome === "error").map((row) => row.error);
    expect(errors).toHaveLength(5);
    expect(errors.some((e) => e?.includes("is not JSON"))).toBe(true);
    expect(errors.some((e) => e?.includes('"value" must be a number, got a string'))).toBe(true);
    expect(errors.some((e) => e?.includes("must be a JSON object"))).toBe(true);
  }, 30_000);

  test("a consumer killed with SIGKILL and started again: every message ends in the database once, none lost", async () => {
    const path = join(dir, "crash.sqlite");
    const consumer = new URL("./fixtures/consume.ts", import.meta.url).pathname;
    const start = () =>
      track(Bun.spawn(["bun", consumer, broker.url, "crash/#", path], { stdout: "pipe", stderr: "inherit" }));
    const random = createRandom(5);
    let child = start();
    await child.stdout.getReader().read(); // it says it is consuming
    await Bun.sleep(300);
    // About 2 s of publishing, so that the kills land while messages are arriving.
    const publishing = publish("crash", 5_000, { burst: 250, pauseMs: 100 });
    let kills = 0;
    let midRun = 0;
    for (let kill = 0; kill < 5; kill++) {
      // Killed once it has written something since it started (so the kill lands mid-run however slow the
      // machine is), a random moment later.
      const before = count(path);
      await until(() => count(path) > before, 10_000);
      if (count(path) >= 5_000) break;
      await Bun.sleep(random() * 100);
      child.kill("SIGKILL");
      await child.exited;
      kills++;
      const now = count(path);
      if (now > 0 && now < 5_000) midRun++;
      child = start();
      await child.stdout.getReader().read();
    }
    await publishing;
    const complete = await until(() => count(path) === 5_000, 60_000);
    if (!complete) console.log(`after 60 s: ${count(path)} of 5,000 rows, ${JSON.stringify(rows(path))}`);
    expect(complete).toBe(true);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    console.log(`mqtt crash test: ${kills} SIGKILLs, ${midRun} while rows were being written`);
    expect(midRun).toBeGreaterThanOrEqual(2);
    expect(rows(path)).toEqual([{ outcome: "result", n: 5_000 }]);
  }, 90_000);

  test("the broker restarted mid-run: the source reconnects and nothing is lost", async () => {
    const path = join(dir, "restart.sqlite");
    const lines: string[] = [];
    const source = new MqttSource({
      url: broker.url,
      topics: ["restart/#"],
      clientId: "restart-consumer",
      checkpoint: true,
      log: (line) => lines.push(line),
    });
    const sink = new SqliteSink<SensorRecord>({
      path,
      checkpoint: source.checkpoint as NonNullable<MqttSource["checkpoint"]>,
    });
    await using executor = new InProcessExecutor();
    const controller = new AbortController();
    const running = pipeline({
      source,
      executor,
      transport: faultTolerantTransport("objects"),
      sizer: fixedSize(20),
      maxWaitMs: 20,
      sinks: [sink],
    }).run(controller.signal);
    await Bun.sleep(200);
    await publish("restart", 500);
    expect(await until(() => count(path) === 500, 10_000)).toBe(true);
    await broker.restart();
    await publish("restart", 500, { from: 500 });
    expect(await until(() => count(path) === 1_000, 20_000)).toBe(true);
    controller.abort();
    const report = await running;
    expect(report.accounting.holds).toBe(true);
    expect(lines.some((line) => line.startsWith("lost"))).toBe(true);
    expect(lines.filter((line) => line.startsWith("connected")).length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  test("options are checked", () => {
    expect(() => new MqttSource({ url: "http://x", topics: ["a"] })).toThrow(InvalidArgumentError);
    expect(() => new MqttSource({ url: "not a url", topics: ["a"] })).toThrow("url");
    expect(() => new MqttSource({ url: "mqtt://127.0.0.1:1", topics: [] })).toThrow("topics");
    expect(() => new MqttSource({ url: "mqtt://127.0.0.1:1", topics: ["a"], sessionExpirySec: -1 })).toThrow(
      "sessionExpirySec",
    );
    expect(() => new MqttSource({ url: "mqtt://127.0.0.1:1", topics: ["a"], maxReconnectDelayMs: Number.NaN })).toThrow(
      "maxReconnectDelayMs",
    );
  });
});
