import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { InvalidArgumentError, type SensorRecord } from "@poolstream/core";
import mqtt from "mqtt";
import { MqttPublishSink } from "../src/mqtt-publish-sink.ts";
import { type Broker, startMosquitto } from "../src/testing/mosquitto.ts";

let broker: Broker;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.stop();
});

const reading = (sensorId: string, seq: number): SensorRecord => ({
  sensorId,
  seq,
  value: seq * 10,
  timestamp: 5,
  createdAt: 0,
});

describe("MqttPublishSink with a real Mosquitto", () => {
  test("publishes the results of one lane as alerts, each on <topic>/<sensor>, acknowledged before the write resolves", async () => {
    const received: { topic: string; message: Record<string, unknown> }[] = [];
    const listener = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    listener.on("message", (topic, payload) => received.push({ topic, message: JSON.parse(payload.toString()) }));
    await listener.subscribeAsync("alerts/#", { qos: 1 });
    const sink = new MqttPublishSink<SensorRecord>({ url: `${broker.url}/alerts`, lane: "CRITICAL" });
    const batch = (lane: string, records: SensorRecord[]) => ({
      lane,
      records,
      results: records.map(() => ({ normalized: 1, anomaly: true })),
      failures: [],
      failedRecords: [],
      deadLettered: [],
    });
    await sink.write(batch("NORMAL", [reading("a", 1)]));
    await sink.write(batch("CRITICAL", [reading("b", 2), reading("c", 3)]));
    expect(sink.published).toBe(2);
    for (let i = 0; i < 100 && received.length < 2; i++) await Bun.sleep(10);
    expect(received.map((r) => r.topic).sort()).toEqual(["alerts/b", "alerts/c"]);
    expect(received.find((r) => r.topic === "alerts/b")?.message).toEqual({
      sensorId: "b",
      seq: 2,
      value: 20,
      timestamp: 5,
      lane: "CRITICAL",
      normalized: 1,
      anomaly: true,
    });
    await sink.close();
    await sink.close();
    await listener.endAsync();
  });

  test("a URL without a topic, with a wildcard, or not MQTT is refused", () => {
    for (const url of [broker.url, `${broker.url}/alerts/#`, "http://x/alerts", "nonsense"]) {
      expect(() => new MqttPublishSink({ url })).toThrow(InvalidArgumentError);
    }
  });
});
