/**
 * Readings from an MQTT broker: a persistent session subscribed to topic
 * filters at QoS 1, each message's JSON payload mapped to a sensor record
 * (the sensor id taken from the topic's last level when the payload has
 * none), a malformed payload an error record. With `checkpoint: true` a
 * message is acknowledged (PUBACK) only once the sink has committed its
 * outcome: a pipeline that dies loses nothing while the broker keeps its
 * session, because the broker sends every unacknowledged message again when
 * the source reconnects. Duplicates that this causes carry the same identity
 * (sensor id and seq from the payload, or its timestamp), so a sink keyed by
 * identity keeps one row. The client reconnects by itself, waiting longer
 * after each failure, up to `maxReconnectDelayMs`.
 */
import { hostname } from "node:os";
import {
  type Clock,
  type ErrorRecord,
  InvalidArgumentError,
  type RecordTarget,
  type SensorRecord,
  type Source,
  type SourceCheckpoint,
  type SourceReport,
  systemClock,
} from "@poolstream/core";
import { type FieldMapping, recordFromFields } from "@poolstream/ingest";
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";

export interface MqttSourceOptions {
  /** The broker: `mqtt://host:port` (or `mqtts://`). */
  readonly url: string;
  /** Topic filters to subscribe to, e.g. `sensors/#`. */
  readonly topics: readonly string[];
  /** Which payload fields fill which role. Default: fields named as the roles. */
  readonly fields?: FieldMapping;
  /** The session's client id; the same id resumes the same session. Default `poolstream-<host name>`. */
  readonly clientId?: string;
  /** How long the broker keeps the session (and queues messages) while the source is away. Default one day. */
  readonly sessionExpirySec?: number;
  /**
   * Acknowledge a message only when a sink commits its outcome (through the
   * checkpoint). Without it, a message is acknowledged once the pipeline has
   * taken it in: what is in the pipeline when it dies is lost. Default false.
   */
  readonly checkpoint?: boolean;
  /** The longest wait between two attempts to reconnect. Default 30 s. */
  readonly maxReconnectDelayMs?: number;
  /** Hears about the connection: connected, lost, reconnecting. */
  readonly log?: (line: string) => void;
  readonly clock?: Clock;
}

/** A payload that could not be made a record: an error record with an identity (its topic and a hash of it). */
export type UnreadableMessage = SensorRecord & ErrorRecord;

/** What the client does not type: the packet writer, wrapped to hold acknowledgements back. */
type PacketWriter = (packet: { cmd: string; messageId?: number }, callback?: () => void, ...rest: unknown[]) => void;

const DEFAULT_SESSION_EXPIRY_SEC = 24 * 60 * 60;
const FIRST_RECONNECT_DELAY_MS = 500;
const KEPT_PAYLOAD = 200;

export class MqttSource implements Source<SensorRecord> {
  readonly id: string;
  readonly emitsFailures = true;
  readonly checkpoint?: SourceCheckpoint<SensorRecord>;
  readonly #options: MqttSourceOptions;
  readonly #clock: Clock;
  /** The acknowledgement each record waits for, and the connection it belongs to. */
  readonly #unacknowledged = new Map<SensorRecord, { readonly connection: number; readonly send: () => void }>();
  #connection = 0;
  #started = false;

  /** Throws `InvalidArgumentError` for a URL that is not MQTT, no topics, or options out of range. */
  constructor(options: MqttSourceOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new InvalidArgumentError(`url must be mqtt://host:port, got ${JSON.stringify(options.url)}`);
    }
    if (url.protocol !== "mqtt:" && url.protocol !== "mqtts:") {
      throw new InvalidArgumentError(`url must be mqtt://host:port, got ${JSON.stringify(options.url)}`);
    }
    if (
      !Array.isArray(options.topics) ||
      options.topics.length === 0 ||
      options.topics.some((t) => typeof t !== "string" || t === "")
    ) {
      throw new InvalidArgumentError("topics must be one or more topic filters, such as sensors/#");
    }
    const expiry = options.sessionExpirySec ?? DEFAULT_SESSION_EXPIRY_SEC;
    if (!Number.isInteger(expiry) || expiry < 0 || expiry > 2 ** 32 - 1) {
      throw new InvalidArgumentError(`sessionExpirySec must be an integer from 0 to 2^32 - 1, got ${expiry}`);
    }
    const maxDelay = options.maxReconnectDelayMs ?? 30_000;
    if (!Number.isInteger(maxDelay) || maxDelay < FIRST_RECONNECT_DELAY_MS || maxDelay > 2 ** 31 - 1) {
      throw new InvalidArgumentError(
        `maxReconnectDelayMs must be an integer from ${FIRST_RECONNECT_DELAY_MS} to 2^31 - 1, got ${maxDelay}`,
      );
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.id = `mqtt:${url.host}`;
    if (options.checkpoint === true) {
      this.checkpoint = {
        sourceId: this.id,
        commit: () => undefined, // a broker keeps no position: the acknowledgements are the progress
        acknowledge: (records) => {
          for (const record of records) this.#acknowledge(record);
        },
      };
    }
  }

  #acknowledge(record: SensorRecord): void {
    const waiting = this.#unacknowledged.get(record);
    if (waiting === undefined) return;
    this.#unacknowledged.delete(record);
    // One from an earlier connection is void: the broker sends that message again anyway.
    if (waiting.connection === this.#connection) waiting.send();
  }

  /** Messages received and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#unacknowledged.size;
  }

  /**
   * Receives until `signal` fires, putting a record (or an error record) in
   * `target` for each message. Messages wait here while the target is full;
   * the broker sends no more than its in-flight limit that are unacknowledged.
   * Resolves once the client has disconnected.
   */
  async ingest(target: RecordTarget<SensorRecord>, signal: AbortSignal): Promise<SourceReport> {
    if (this.#started) throw new InvalidArgumentError("an MQTT source runs once");
    this.#started = true;
    const options = this.#options;
    const maxDelay = options.maxReconnectDelayMs ?? 30_000;
    const log = options.log ?? (() => {});
    const client = mqtt.connect(options.url, {
      protocolVersion: 5,
      clientId: options.clientId ?? `poolstream-${hostname()}`,
      clean: false,
      properties: { sessionExpiryInterval: options.sessionExpirySec ?? DEFAULT_SESSION_EXPIRY_SEC },
      reconnectPeriod: FIRST_RECONNECT_DELAY_MS,
      connectTimeout: 10_000,
    });
    // Acknowledgements are always held back: at the latest until the pipeline takes the message in, so that
    // the broker's in-flight limit is the backpressure, and with a checkpoint until the sink commits it.
    this.#holdAcknowledgements(client);
    const waiting: SensorRecord[] = [];
    let wake: (() => void) | undefined;
    let total = 0;
    let unnamed = 0;
    client.on("connect", () => {
      this.#connection++;
      client.options.reconnectPeriod = FIRST_RECONNECT_DELAY_MS;
      log(`connected to ${options.url}`);
      client.subscribe([...options.topics], { qos: 1 }, (error) => {
        if (error) log(`could not subscribe to ${options.topics.join(", ")}: ${error.message}`);
        else log(`subscribed to ${options.topics.join(", ")}`);
      });
    });
    client.on("offline", () => {
      const next = Math.min(maxDelay, (client.options.reconnectPeriod ?? FIRST_RECONNECT_DELAY_MS) * 2);
      log(`lost ${options.url}; trying again in ${(client.options.reconnectPeriod ?? 0) / 1000} s`);
      client.options.reconnectPeriod = next;
    });
    client.on("error", (error) => log(`${options.url}: ${error.message}`));
    client.on("message", (topic, payload, packet) => {
      const record = this.#recordOf(topic, payload, ++unnamed);
      if (packet.qos > 0 && packet.messageId !== undefined) this.#expectAcknowledgement(record, packet);
      waiting.push(record);
      wake?.();
    });
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    try {
      while (!signal.aborted) {
        const record = waiting.shift();
        if (record === undefined) {
          await Promise.race([new Promise<void>((resolve) => (wake = resolve)), stopped]);
          wake = undefined;
          continue;
        }
        if (!target.tryPut(record)) await target.put(record, { signal });
        total++;
        if (this.checkpoint === undefined) this.#acknowledge(record);
      }
    } catch (error) {
      if (!signal.aborted && (error as Error).name !== "QueueClosedError") throw error;
    } finally {
      await disconnect(client);
    }
    return Object.freeze({ perSource: Object.freeze({ [this.id]: total }), total, errors: Object.freeze([]) });
  }

  #recordOf(topic: string, payload: Buffer, count: number): SensorRecord {
    const now = this.#clock.now();
    let fields: unknown;
    try {
      fields = JSON.parse(payload.toString("utf8"));
    } catch (error) {
      return this.#unreadable(topic, payload, `is not JSON (${(error as Error).message})`, "SyntaxError", now);
    }
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
      return this.#unreadable(topic, payload, "must be a JSON object", "TypeError", now);
    }
    const mapping = this.#options.fields ?? {};
    const named = fields as Record<string, unknown>;
    // The sensor id from the topic's last level when the payload has none: sensors/pump-1 → pump-1.
    const idField = mapping.sensorId ?? "sensorId";
    const withId =
      named[idField] === undefined ? { ...named, [idField]: topic.slice(topic.lastIndexOf("/") + 1) } : named;
    // Without a seq, the reading's own time identifies it (so a message sent again is recognised), else arrival order.
    const timeField = mapping.timestamp ?? "timestamp";
    const defaultSeq = Number.isSafeInteger(named[timeField]) ? (named[timeField] as number) : count;
    const built = recordFromFields(withId, mapping, defaultSeq, now, false);
    return "problem" in built ? this.#unreadable(topic, payload, built.problem, built.errorType, now) : built;
  }

  #unreadable(topic: string, payload: Buffer, reason: string, errorType: string, now: number): SensorRecord {
    const text = payload.toString("utf8", 0, Math.min(payload.length, KEPT_PAYLOAD));
    const failure: UnreadableMessage = {
      status: "FAILED",
      error: `a message on ${topic} ${reason}`,
      errorType,
      originalRecord: { topic, payload: text },
      sensorId: `mqtt:${topic}`,
      // The same payload sent again gets the same identity.
      seq: hashOf(topic, payload),
      value: Number.NaN,
      timestamp: now,
      createdAt: now,
    };
    return failure;
  }

  /** From now on the client sends a PUBACK only when `#expectAcknowledgement`'s sender is called. */
  #holdAcknowledgements(client: MqttClient): void {
    const writer = client as unknown as { _sendPacket: PacketWriter };
    const send = writer._sendPacket.bind(client);
    const held = new Map<number, () => void>();
    this.#held = held;
    // Packet ids are reused on the next connection: what was held for the last one must not be sent on it.
    client.on("close", () => held.clear());
    writer._sendPacket = (packet, callback, ...rest) => {
      if (packet.cmd !== "puback" || packet.messageId === undefined) return send(packet, callback, ...rest);
      // Held back; the client goes on reading (its callback is what lets it take the next packet).
      held.set(packet.messageId, () => send(packet, () => {}));
      callback?.();
    };
  }

  #held: Map<number, () => void> | undefined;

  #expectAcknowledgement(record: SensorRecord, packet: IPublishPacket): void {
    const messageId = packet.messageId as number;
    const held = this.#held as Map<number, () => void>;
    this.#unacknowledged.set(record, {
      connection: this.#connection,
      // The PUBACK is held back once the message handler has run, so it is looked up when it is due.
      send: () => {
        held.get(messageId)?.();
        held.delete(messageId);
      },
    });
  }
}

/** How long a clean disconnect may take before the connection is just dropped. */
const DISCONNECT_TIMEOUT_MS = 2_000;

/**
 * Disconnects: cleanly when connected (the broker keeps the session and the
 * unacknowledged messages), at once when not (still connecting, or waiting to
 * reconnect), and never for longer than `DISCONNECT_TIMEOUT_MS`.
 */
async function disconnect(client: MqttClient): Promise<void> {
  if (!client.connected) {
    client.end(true);
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, DISCONNECT_TIMEOUT_MS);
  });
  await Promise.race([client.endAsync().catch(() => {}), late]);
  clearTimeout(timer);
  if (!client.disconnected) client.end(true);
}

/** A 32-bit FNV-1a hash of a topic and a payload. */
function hashOf(topic: string, payload: Buffer): number {
  let hash = 0x811c9dc5;
  const mix = (byte: number) => {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  };
  for (let i = 0; i < topic.length; i++) mix(topic.charCodeAt(i) & 0xff);
  mix(0);
  for (const byte of payload) mix(byte);
  return hash;
}
