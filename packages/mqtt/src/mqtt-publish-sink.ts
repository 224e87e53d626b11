/**
 * Outcomes published to an MQTT broker, for downstream systems to react to:
 * every result, or only those of one lane (the CRITICAL readings, as
 * alerts). Each becomes a JSON message on `<topic>/<sensor id>` at QoS 1, and
 * a write resolves once the broker has acknowledged all of its messages, so a
 * batch counts as done only when the broker has it.
 */
import {
  InvalidArgumentError,
  type RecordSchema,
  type Sink,
  type SinkBatch,
  SinkError,
  sensorSchema,
  toError,
} from "@poolstream/core";
import mqtt, { type MqttClient } from "mqtt";
import { parseMqttUrl } from "./mqtt-url.ts";

export interface MqttPublishSinkOptions<R> {
  /** The broker, and the topic the messages go under: `mqtt://host:port/alerts`. */
  readonly url: string;
  /** Publish only the results of this lane ("CRITICAL" for alerts). Default: every result. */
  readonly lane?: string;
  readonly schema?: RecordSchema<R>;
  /** The client's id. Default: one of the broker's choosing. */
  readonly clientId?: string;
}

export class MqttPublishSink<R> implements Sink<R, unknown> {
  readonly topic: string;
  readonly #client: MqttClient;
  readonly #lane: string | undefined;
  readonly #schema: RecordSchema<R>;
  #published = 0;
  #closed: Promise<void> | undefined;

  /** Connects (in the background; the first write waits for it). Throws `InvalidArgumentError` for a URL without a topic. */
  constructor(options: MqttPublishSinkOptions<R>) {
    const { server, topic } = parseMqttUrl(options.url);
    if (topic === "" || /[#+]/.test(topic)) {
      throw new InvalidArgumentError(
        `url must name a topic without wildcards (mqtt://host:port/alerts), got ${JSON.stringify(options.url)}`,
      );
    }
    this.topic = topic;
    this.#lane = options.lane;
    this.#schema = options.schema ?? (sensorSchema as unknown as RecordSchema<R>);
    this.#client = mqtt.connect(server, {
      protocolVersion: 5,
      reconnectPeriod: 1_000,
      ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
    });
    // Errors reach the writes that wait (a publish fails or waits for the reconnection); nothing is thrown here.
    this.#client.on("error", () => {});
  }

  /** Messages the broker has acknowledged. */
  get published(): number {
    return this.#published;
  }

  async write(batch: SinkBatch<R, unknown>): Promise<void> {
    if (this.#lane !== undefined && batch.lane !== this.#lane) return;
    if (batch.records.length === 0) return;
    const schema = this.#schema;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < batch.records.length; i++) {
      const record = batch.records[i] as R;
      const result = batch.results[i] as { normalized?: unknown; anomaly?: unknown } | null;
      const sensorId = String(schema.sensorId(record));
      const message = JSON.stringify({
        sensorId,
        seq: schema.seq(record),
        value: schema.value(record),
        timestamp: schema.timestamp(record),
        lane: batch.lane,
        normalized: result?.normalized,
        anomaly: result?.anomaly,
      });
      sends.push(this.#client.publishAsync(`${this.topic}/${sensorId}`, message, { qos: 1 }));
    }
    try {
      await Promise.all(sends);
    } catch (error) {
      throw new SinkError(`could not publish to ${this.topic}: ${toError(error).message}`, { cause: error });
    }
    this.#published += sends.length;
  }

  /** Disconnects once what was published is acknowledged. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#client.endAsync().catch(() => {});
    return this.#closed;
  }
}
