/**
 * `bun run simulate --to mqtt://127.0.0.1:1883/sensors` (or
 * `nats://127.0.0.1:4222/readings`): publishes simulated sensor readings at a
 * steady rate, one JSON message per reading (`{ sensorId, seq, value,
 * timestamp }` on `<topic>/<sensor>` at QoS 1, or on `<prefix>.<sensor>` into
 * the JetStream stream that keeps `<prefix>.>`), so a pipeline reading it
 * (`bun run start --input mqtt://…/sensors/#`, `--input nats://…/readings`)
 * has live data. Prints a status line once a second and a report at the end;
 * Ctrl-C stops it and reports.
 */
import { createRandom } from "@poolstream/core";
import { parseNatsUrl } from "@poolstream/jetstream/url";
import { parseMqttUrl } from "@poolstream/mqtt/url";
import { priorityValueGenerator } from "@poolstream/priority";
import { failUsage, readFlags } from "../cli/flags.ts";
import { exitCodeAfter, interruptSignal } from "../cli/interrupt.ts";
import { JSON_FLAG, printJson } from "../cli/json-output.ts";
import { formatKeyValues, formatNumber } from "../report/text.ts";
import { connectPublisher, type Publisher } from "../simulate/publishers.ts";

const program = {
  usage: "bun run simulate",
  summary: "Publishes simulated sensor readings to an MQTT broker at a steady rate, for a pipeline to read.",
  flags: {
    json: JSON_FLAG,
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
if (flags.to === undefined) {
  failUsage(
    program,
    "--to is needed: the broker and topic, e.g. mqtt://127.0.0.1:1883/sensors or nats://127.0.0.1:4222/readings",
  );
}
const to = flags.to;
let target: { readonly kind: "mqtt" | "jetstream"; readonly server: string; readonly where: string };
try {
  if (to.startsWith("nats://")) {
    const { server, prefix } = parseNatsUrl(to);
    if (prefix === "") throw new Error("name a subject prefix, e.g. nats://127.0.0.1:4222/readings");
    target = { kind: "jetstream", server, where: prefix };
  } else {
    const { server, topic } = parseMqttUrl(to);
    if (topic === "" || /[#+]/.test(topic))
      throw new Error("name one topic without wildcards, e.g. mqtt://127.0.0.1:1883/sensors");
    target = { kind: "mqtt", server, where: topic };
  }
} catch (error) {
  failUsage(program, `--to: ${(error as Error).message}`);
}

/** Messages published and not yet acknowledged by the broker, at most: the rest wait here. */
const IN_FLIGHT = 1000;
const interrupt = interruptSignal("simulate");
const random = createRandom(flags.seed);
const nextValue = priorityValueGenerator(flags["critical-share"]);
const seqs = new Array<number>(flags.sensors).fill(0);
const separator = target.kind === "mqtt" ? "/" : ".";
console.log(
  `[simulate] ${flags.sensors} sensors, ${formatNumber(flags.rate)} readings/s → ${target.server}/${target.where}${separator}<sensor>, ${flags.duration === 0 ? "until Ctrl-C" : `for ${flags.duration} s`}`,
);
const client: Publisher = connectPublisher(target.kind, target.server, target.where, {
  connected: () => console.log(`[simulate] connected to ${target.server}`),
  problem: (message) => console.error(`[simulate] ${target.server}: ${message}; trying again`),
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
    client.publish(sensorId, seq, message).then(
      () => {
        inFlight--;
        acknowledged++;
      },
      () => {
        inFlight--;
      },
    );
  }
  if (now - lastStatus >= 1000) {
    lastStatus = now;
    const seconds = (now - started) / 1000;
    console.log(
      `[simulate] ${seconds.toFixed(1)} s · ${formatNumber(published)} published · ${formatNumber(acknowledged)} acknowledged · ${formatNumber(Math.round(acknowledged / seconds))}/s${client.connected() ? "" : " · not connected"}`,
    );
  }
  await Bun.sleep(5);
}
// What was published is acknowledged (or the broker is gone) before the report.
const waitUntil = performance.now() + 5_000;
while (inFlight > 0 && performance.now() < waitUntil && client.connected()) await Bun.sleep(10);
await client.close(inFlight > 0);
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
if (flags.json) {
  printJson({
    program: "simulate",
    to: flags.to,
    published,
    acknowledged,
    elapsedSec,
    interrupted: interrupt.aborted,
  });
}
process.exitCode = exitCodeAfter(interrupt, published === acknowledged ? 0 : 1);
