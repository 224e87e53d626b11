import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { InvalidArgumentError, type SensorRecord } from "@poolstream/core";
import { JetStreamPublishSink } from "../src/jetstream-publish-sink.ts";
import { parseNatsUrl, streamNameOf } from "../src/nats-address.ts";
import { type NatsServer, startNatsServer } from "../src/testing/nats-server.ts";

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server.stop();
});

const reading = (sensorId: string, seq: number): SensorRecord => ({
  sensorId,
  seq,
  value: seq,
  timestamp: 1,
  createdAt: 0,
});
const batch = (lane: string, records: SensorRecord[]) => ({
  lane,
  records,
  results: records.map(() => ({ normalized: 1, anomaly: true })),
  failures: [],
  failedRecords: [],
  deadLettered: [],
});

describe("JetStreamPublishSink with a real nats-server", () => {
  test("one lane's results, stored by a stream it makes; the same outcome published again is stored once", async () => {
    const sink = new JetStreamPublishSink<SensorRecord>({ url: `${server.url}/alerts`, lane: "CRITICAL" });
    await sink.write(batch("NORMAL", [reading("a", 1)]));
    await sink.write(batch("CRITICAL", [reading("b", 2), reading("c", 3)]));
    await sink.write(batch("CRITICAL", [reading("b", 2)])); // a restart computed it again
    expect(sink.published).toBe(3);
    await sink.close();
    const connection = await connect({ servers: server.url });
    const manager = await jetstreamManager(connection);
    const info = await manager.streams.info("ALERTS");
    expect(info.state.messages).toBe(2);
    expect(info.config.subjects).toEqual(["alerts.>"]);
    await connection.drain();
  });

  test("addresses: a prefix is needed; names derive from it", () => {
    expect(() => new JetStreamPublishSink({ url: server.url })).toThrow(InvalidArgumentError);
    expect(() => new JetStreamPublishSink({ url: "mqtt://x/alerts" })).toThrow(InvalidArgumentError);
    expect(parseNatsUrl("nats://127.0.0.1:4222/plant-1.readings")).toEqual({
      server: "nats://127.0.0.1:4222",
      prefix: "plant-1.readings",
    });
    expect(streamNameOf("plant-1.readings")).toBe("PLANT_1_READINGS");
    for (const bad of ["nats://h/a..b", "nats://h/.a", "nats://h/a>", "nats:/h"]) {
      expect(() => parseNatsUrl(bad)).toThrow(InvalidArgumentError);
    }
  });
});
