/**
 * Readings from a JetStream stream, the pipeline's durable input: a durable
 * pull consumer with explicit acknowledgements, each message's JSON payload
 * mapped to a sensor record (the sensor id from the subject's last token when
 * the payload has none), a payload that is not a reading an error record.
 * With `checkpoint: true` a message is acknowledged only once the sink has
 * committed its outcome; one that is not (the pipeline died) is delivered
 * again after `ackWaitMs`, and since a reading without a `seq` of its own is
 * keyed by its stream sequence, which redelivery keeps, a sink keyed by
 * identity writes it once. While a message waits in the pipeline, the source
 * tells the server it is still being worked on, so a slow pipeline does not
 * get its messages twice. The client reconnects by itself.
 */

import { AckPolicy, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";
import {
  type Clock,
  type ErrorRecord,
  InvalidArgumentError,
  type RecordTarget,
  type SensorRecord,
  type Source,
  type SourceCheckpoint,
  type SourceReport,
  StoppableReader,
  systemClock,
} from "@poolstream/core";
import { type FieldMapping, recordFromFields } from "@poolstream/ingest";
import { closeConnection } from "./internal/connect-with-retry.ts";

export interface JetStreamSourceOptions {
  /** The server: `nats://host:port`. */
  readonly url: string;
  /** The stream to read. Created (file storage) over `subjects` if it does not exist. */
  readonly stream: string;
  /** The subjects the stream keeps, when it has to be created. Default `<stream, lower-cased>.>`. */
  readonly subjects?: readonly string[];
  /** The durable consumer's name: the same name resumes where the last run's acknowledgements end. Default "poolstream". */
  readonly consumer?: string;
  readonly fields?: FieldMapping;
  /**
   * Acknowledge a message only when a sink commits its outcome (through the
   * checkpoint). Without it, a message is acknowledged once the pipeline has
   * taken it in. Default false.
   */
  readonly checkpoint?: boolean;
  /** How long the server waits for an acknowledgement before it delivers a message again. Default 30 s. */
  readonly ackWaitMs?: number;
  /** Messages delivered and not yet acknowledged, at most. Default 10,000. */
  readonly maxAckPending?: number;
  /** Hears about the connection. */
  readonly log?: (line: string) => void;
  readonly clock?: Clock;
}

/** A payload that could not be made a record: an error record keyed by its subject and stream sequence. */
export type UnreadableMessage = SensorRecord & ErrorRecord;

const KEPT_PAYLOAD = 200;

export class JetStreamSource implements Source<SensorRecord> {
  readonly id: string;
  readonly emitsFailures = true;
  readonly checkpoint?: SourceCheckpoint<SensorRecord>;
  readonly #options: JetStreamSourceOptions;
  readonly #clock: Clock;
  readonly #ackWaitMs: number;
  readonly #maxAckPending: number;
  readonly #unacknowledged = new Map<SensorRecord, JsMsg>();
  #started = false;

  /** Throws `InvalidArgumentError` for a URL that is not NATS or options out of range. */
  constructor(options: JetStreamSourceOptions) {
    if (typeof options.url !== "string" || !/^nats:\/\/[^/\s]+$/.test(options.url)) {
      throw new InvalidArgumentError(`url must be nats://host:port, got ${JSON.stringify(options.url)}`);
    }
    if (typeof options.stream !== "string" || !/^[A-Za-z0-9_-]+$/.test(options.stream)) {
      throw new InvalidArgumentError(
        `stream must be a stream name (letters, digits, - and _), got ${JSON.stringify(options.stream)}`,
      );
    }
    this.#ackWaitMs = options.ackWaitMs ?? 30_000;
    if (!Number.isInteger(this.#ackWaitMs) || this.#ackWaitMs < 100 || this.#ackWaitMs > 2 ** 31 - 1) {
      throw new InvalidArgumentError(`ackWaitMs must be an integer from 100 to 2^31 - 1, got ${this.#ackWaitMs}`);
    }
    this.#maxAckPending = options.maxAckPending ?? 10_000;
    if (!Number.isInteger(this.#maxAckPending) || this.#maxAckPending < 1 || this.#maxAckPending > 1_000_000) {
      throw new InvalidArgumentError(
        `maxAckPending must be an integer from 1 to 1,000,000, got ${this.#maxAckPending}`,
      );
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.id = `jetstream:${options.stream}`;
    if (options.checkpoint === true) {
      this.checkpoint = {
        sourceId: this.id,
        commit: () => undefined, // the consumer keeps the position: the acknowledgements are the progress
        acknowledge: (records) => {
          for (const record of records) this.#acknowledge(record);
        },
      };
    }
  }

  /** Messages received and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#unacknowledged.size;
  }

  /**
   * Receives until `signal` fires, putting a record (or an error record) in
   * `target` for each message. Rejects when the server cannot be reached at
   * the start; later losses of the connection are waited out.
   */
  async ingest(target: RecordTarget<SensorRecord>, signal: AbortSignal): Promise<SourceReport> {
    if (this.#started) throw new InvalidArgumentError("a JetStream source runs once");
    this.#started = true;
    const options = this.#options;
    const log = options.log ?? (() => {});
    const connection = await connect({
      servers: options.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      name: `poolstream ${this.id}`,
    });
    log(`connected to ${options.url}`);
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === "disconnect") log(`lost ${options.url}; reconnecting`);
        else if (status.type === "reconnect") log(`connected to ${options.url} again`);
      }
    })();
    const heartbeat = setInterval(
      () => {
        // Still being worked on: the server waits another ackWaitMs before it delivers these again.
        for (const message of this.#unacknowledged.values()) message.working();
      },
      Math.max(50, Math.floor(this.#ackWaitMs / 3)),
    );
    let total = 0;
    try {
      await this.#prepare(connection);
      const consumer = await jetstream(connection).consumers.get(options.stream, options.consumer ?? "poolstream");
      // Short pulls: a pull lost in a server restart is noticed by its missing heartbeats (half the expiry each).
      const messages = await consumer.consume({ max_messages: Math.min(1000, this.#maxAckPending), expires: 2_000 });
      // Raced against the signal: a consumer waiting for the next message must not hold a stop up.
      const reader = new StoppableReader(messages[Symbol.asyncIterator](), signal);
      try {
        for (let next = await reader.next(); next.done !== true; next = await reader.next()) {
          const record = this.#recordOf(next.value);
          this.#unacknowledged.set(record, next.value);
          if (!target.tryPut(record)) await target.put(record, { signal });
          total++;
          if (this.checkpoint === undefined) this.#acknowledge(record);
        }
      } finally {
        reader.release();
        // Not awaited: closing waits for the open pull request, which can take the whole of its expiry.
        messages.stop();
      }
    } catch (error) {
      if (!signal.aborted && (error as Error).name !== "QueueClosedError" && (error as Error).name !== "AbortError") {
        throw error;
      }
    } finally {
      clearInterval(heartbeat);
      await closeConnection(connection);
    }
    return Object.freeze({ perSource: Object.freeze({ [this.id]: total }), total, errors: Object.freeze([]) });
  }

  #acknowledge(record: SensorRecord): void {
    const message = this.#unacknowledged.get(record);
    if (message === undefined) return;
    this.#unacknowledged.delete(record);
    message.ack();
  }

  /** The stream and the durable consumer, made if missing. */
  async #prepare(connection: NatsConnection): Promise<void> {
    const options = this.#options;
    const manager = await jetstreamManager(connection);
    try {
      await manager.streams.info(options.stream);
    } catch {
      await manager.streams.add({
        name: options.stream,
        subjects: [...(options.subjects ?? [`${options.stream.toLowerCase()}.>`])],
        storage: "file",
      } as never);
    }
    const name = options.consumer ?? "poolstream";
    const config = {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.#ackWaitMs),
      max_ack_pending: this.#maxAckPending,
    };
    try {
      await manager.consumers.info(options.stream, name);
      await manager.consumers.update(options.stream, name, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
      });
    } catch {
      await manager.consumers.add(options.stream, config);
    }
  }

  #recordOf(message: JsMsg): SensorRecord {
    const now = this.#clock.now();
    const { subject } = message;
    const sequence = message.info.streamSequence;
    let fields: unknown;
    try {
      fields = JSON.parse(new TextDecoder().decode(message.data));
    } catch (error) {
      return this.#unreadable(message, `is not JSON (${(error as Error).message})`, "SyntaxError", now);
    }
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
      return this.#unreadable(message, "must be a JSON object", "TypeError", now);
    }
    const mapping = this.#options.fields ?? {};
    const named = fields as Record<string, unknown>;
    const idField = mapping.sensorId ?? "sensorId";
    const withId =
      named[idField] === undefined ? { ...named, [idField]: subject.slice(subject.lastIndexOf(".") + 1) } : named;
    // Without a seq of its own, the stream sequence: redelivery keeps it, so the reading is recognised.
    const built = recordFromFields(withId, mapping, sequence, now, false);
    return "problem" in built ? this.#unreadable(message, built.problem, built.errorType, now) : built;
  }

  #unreadable(message: JsMsg, reason: string, errorType: string, now: number): SensorRecord {
    const text = new TextDecoder().decode(message.data.subarray(0, KEPT_PAYLOAD));
    const failure: UnreadableMessage = {
      status: "FAILED",
      error: `a message on ${message.subject} ${reason}`,
      errorType,
      originalRecord: { subject: message.subject, sequence: message.info.streamSequence, payload: text },
      sensorId: `jetstream:${this.#options.stream}`,
      seq: message.info.streamSequence,
      value: Number.NaN,
      timestamp: now,
      createdAt: now,
    };
    return failure;
  }
}
