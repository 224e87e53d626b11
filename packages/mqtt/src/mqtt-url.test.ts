import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "@poolstream/core";
import { parseMqttUrl } from "./mqtt-url.ts";

describe("parseMqttUrl", () => {
  test("the broker and the topic, wildcards kept", () => {
    expect(parseMqttUrl("mqtt://127.0.0.1:1883/sensors/#")).toEqual({
      server: "mqtt://127.0.0.1:1883",
      topic: "sensors/#",
    });
    expect(parseMqttUrl("mqtts://broker/a/+/b")).toEqual({ server: "mqtts://broker", topic: "a/+/b" });
    expect(parseMqttUrl("mqtt://broker:1")).toEqual({ server: "mqtt://broker:1", topic: "" });
  });

  test("anything else is refused", () => {
    for (const raw of ["http://x/a", "mqtt:/x", "127.0.0.1:1883/a", "", "mqtt://"]) {
      expect(() => parseMqttUrl(raw)).toThrow(InvalidArgumentError);
    }
  });
});
