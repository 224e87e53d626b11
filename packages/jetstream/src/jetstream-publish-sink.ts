/**
 * Outcomes published to JetStream: every result, or only one lane's (the
 * CRITICAL readings, as alerts), each a JSON message on `<prefix>.<sensor>`
 * kept by a stream (made, with file storage, if there is none). Each carries
 * its record's identity as its message id, so the same outcome published
 * again (after a restart re-read its record) is stored once, within the
 * stream's duplicate window. A write resolves once the stream has stored all
 * of its messages.
 */

import { type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  InvalidArgumentError,
  type RecordSchema,
  type Sink,
  type SinkBatch,
  SinkError,
  sensorSchema,
  toError,
} from "@poolstream/core";
import { parseNatsUrl, streamNameOf } from "./nats-address.ts";

export interface JetStreamPublishSinkOptions<R> {
  /** The server and the subject prefix: `nats://host:port/alerts`. */
  readonly url: string;
  /** Publish only the results of this lane ("CRITICAL" for alerts). Default: every result. */
  readonly lane?: string;
  readonly schema?: RecordSchema<R>;
}

export class JetStreamPublishSink<R> implements Sink<R, unknown> {
  readonly prefix: string;
  readonly stream: string;
  readonly #lane: string | undefined;
  readonly #schema: RecordSchema<R>;
  readonly #ready: Promise<{ connection: NatsConnection; client: JetStreamClient }>;
  #published = 0;
  #closed: Promise<void> | undefined;

  /** Connects in the background (the first write waits). Throws `InvalidArgumentError` for an address without a prefix. */
  constructor(options: JetStreamPublishSinkOptions<R>) {
    const { server, prefix } = parseNatsUrl(options.url);
    if (prefix === "")
      throw new InvalidArgumentError(`url must name a subject prefix (nats://host:port/alerts), got ${options.url}`);
    this.prefix = prefix;
    const stream = streamNameOf(prefix);
    this.stream = stream;
    this.#lane = options.lane;
    this.#schema = options.schema ?? (sensorSchema as unknown as RecordSchema<R>);
    this.#ready = (async () => {
      const connection = await connect({ servers: server, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
      const manager = await jetstreamManager(connection);
      try {
        await manager.streams.info(stream);
      } catch {
        await manager.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: "file" } as never);
      }
      return { connection, client: jetstream(connection) };
    })();
    this.#ready.catch(() => {}); // reported by the first write
  }

  /** Messages the stream has stored. */
  get published(): number {
    return this.#published;
  }

  async write(batch: SinkBatch<R, unknown>): Promise<void> {
    if (this.#lane !== undefined && batch.lane !== this.#lane) return;
    if (batch.records.length === 0) return;
    const schema = this.#schema;
    try {
      const { client } = await this.#ready;
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < batch.records.length; i++) {
        const record = batch.records[i] as R;
        const result = batch.results[i] as { normalized?: unknown; anomaly?: unknown } | null;
        const sensorId = String(schema.sensorId(record));
        const seq = schema.seq(record);
        const message = JSON.stringify({
          sensorId,
          seq,
          value: schema.value(record),
          timestamp: schema.timestamp(record),
          lane: batch.lane,
          normalized: result?.normalized,
          anomaly: result?.anomaly,
        });
        const subject = `${this.prefix}.${sensorId.replace(/[.\s*>]/g, "_")}`;
        sends.push(client.publish(subject, message, { msgID: `${sensorId}:${seq}` }));
      }
      await Promise.all(sends);
      this.#published += sends.length;
    } catch (error) {
      throw new SinkError(`could not publish to ${this.stream}: ${toError(error).message}`, { cause: error });
    }
  }

  /** Drains the connection. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#ready.then(
      ({ connection }) => connection.drain().catch(() => {}),
      () => {},
    );
    return this.#closed;
  }
}
