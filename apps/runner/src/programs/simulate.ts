/**
 * `bun run simulate --to mqtt://127.0.0.1:1883/sensors`: publishes simulated
 * sensor readings to a broker at a steady rate, one JSON message per reading
 * (`{ sensorId, seq, value, timestamp }` on `<topic>/<sensor>`, QoS 1), so a
 * pipeline reading that broker (`bun run start --input mqtt://…/sensors/#`)
 * has live data. Prints a status line once a second and a report at the end;
 * Ctrl-C stops it and reports.
 */
import { createRandom } from "@poolstream/core";
import { type MqttAddress, parseMqttUrl } from "@poolstream/mqtt";
import { priorityValueGenerator } from "@poolstream/priority";
import mqtt from "mqtt";
import { failUsage, readFlags } from "../cli/flags.ts";
import { interruptSignal } from "../cli/interrupt.ts";
import { formatKeyValues, formatNumber } from "../report/text.ts";

const program = {
  usage: "bun run simulate",
  summary: "Publishes simulated sensor readings to an MQTT broker at a steady rate, for a pipeline to read.",
  flags: {
    to: {
      type: "string",
      placeholder: "mqtt://host:port/topic",
      description: "the broker and the topic the readings go under",
    },
    rate: {
      type: "integer",
      default: 1000,
      min: 1,
      max: 1_000_000,
      description: "readings a second, over all sensors",
    },
    sensors: { type: "integer", default: 10, min: 1, max: 100_000, description: "simulated sensors" },
    duration: { type: "number", default: 10, min: 0, max: 86_400, description: "seconds to publish (0: until Ctrl-C)" },
    "critical-share": {
      type: "number",
      default: 0.1,
      min: 0,
      max: 1,
      description: "share of readings outside the safe range [15, 85] (CRITICAL with --lanes priority)",
    },
    seed: { type: "integer", default: 42, min: 0, max: 2 ** 32 - 1, description: "seed of the values" },
  },
} as const;
const flags = readFlags(program);
if (flags.to === undefined)
  failUsage(program, "--to is needed: the broker and topic, e.g. mqtt://127.0.0.1:1883/sensors");
let address: MqttAddress;
try {
  address = parseMqttUrl(flags.to);
} catch (error) {
  failUsage(program, `--to: ${(error as Error).message}`);
}
if (address.topic === "" || /[#+]/.test(address.topic)) {
  failUsage(program, "--to: name one topic without wildcards, e.g. mqtt://127.0.0.1:1883/sensors");
}

/** Messages published and not yet acknowledged by the broker, at most: the rest wait here. */
const IN_FLIGHT = 1000;
const interrupt = interruptSignal("simulate");
const random = createRandom(flags.seed);
const nextValue = priorityValueGenerator(flags["critical-share"]);
const seqs = new Array<number>(flags.sensors).fill(0);
console.log(
  `[simulate] ${flags.sensors} sensors, ${formatNumber(flags.rate)} readings/s → ${address.server}/${address.topic}/<sensor>, ${flags.duration === 0 ? "until Ctrl-C" : `for ${flags.duration} s`}`,
);
const client = mqtt.connect(address.server, { protocolVersion: 5, reconnectPeriod: 1000, connectTimeout: 5000 });
let lastProblem = "";
client.on("error", (error) => {
  if (error.message === lastProblem) return;
  lastProblem = error.message;
  console.error(`[simulate] ${address.server}: ${error.message}; trying again`);
});
client.on("connect", () => {
  lastProblem = "";
  console.log(`[simulate] connected to ${address.server}`);
});

const started = performance.now();
let published = 0;
let acknowledged = 0;
let inFlight = 0;
let lastStatus = started;
const deadline = flags.duration === 0 ? Number.POSITIVE_INFINITY : started + flags.duration * 1000;
while (!interrupt.aborted && performance.now() < deadline) {
  const now = performance.now();
  const due = Math.floor(((now - started) / 1000) * flags.rate);
  while (published < due && inFlight < IN_FLIGHT) {
    const sensor = published % flags.sensors;
    const sensorId = `sensor-${sensor + 1}`;
    const seq = seqs[sensor] ?? 0;
    seqs[sensor] = seq + 1;
    const message = JSON.stringify({
      sensorId,
      seq,
      value: Number(nextValue(random).toFixed(3)),
      timestamp: Date.now(),
    });
    inFlight++;
    published++;
    client.publish(`${address.topic}/${sensorId}`, message, { qos: 1 }, (error) => {
      inFlight--;
      if (!error) acknowledged++;
    });
  }
  if (now - lastStatus >= 1000) {
    lastStatus = now;
    const seconds = (now - started) / 1000;
    console.log(
      `[simulate] ${seconds.toFixed(1)} s · ${formatNumber(published)} published · ${formatNumber(acknowledged)} acknowledged · ${formatNumber(Math.round(acknowledged / seconds))}/s${client.connected ? "" : " · not connected"}`,
    );
  }
  await Bun.sleep(5);
}
// What was published is acknowledged (or the broker is gone) before the report.
const waitUntil = performance.now() + 5_000;
while (inFlight > 0 && performance.now() < waitUntil && client.connected) await Bun.sleep(10);
await client.endAsync(inFlight > 0).catch(() => {});
const elapsedSec = (performance.now() - started) / 1000;
console.log(
  `\n${formatKeyValues([
    ["readings published", published],
    ["acknowledged by the broker", acknowledged],
    ["failed or not acknowledged", published - acknowledged],
    ["elapsed", `${elapsedSec.toFixed(2)} s`],
    ["rate", `${formatNumber(Math.round(acknowledged / elapsedSec))} readings/s`],
  ])}`,
);
process.exitCode = interrupt.aborted ? 130 : published === acknowledged ? 0 : 1;
