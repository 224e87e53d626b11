/**
 * Where `bun run simulate` publishes: an MQTT topic at QoS 1, or a JetStream
 * stream (made, with file storage, if none keeps the prefix). One shape for
 * both, so the program's loop does not care which.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { streamNameOf } from "@poolstream/jetstream/url";

export interface Publisher {
  /** Resolves once the broker has the reading (PUBACK, or the stream's acknowledgement). */
  publish(sensorId: string, seq: number, message: string): Promise<void>;
  connected(): boolean;
  /** `force`: do not wait for what is still on its way. */
  close(force: boolean): Promise<void>;
}

export interface PublisherNews {
  readonly connected: () => void;
  readonly problem: (message: string) => void;
}

export function connectPublisher(
  kind: "mqtt" | "jetstream",
  server: string,
  where: string,
  news: PublisherNews,
): Publisher {
  return kind === "mqtt" ? mqttPublisher(server, where, news) : jetStreamPublisher(server, where, news);
}

function mqttPublisher(server: string, topic: string, news: PublisherNews): Publisher {
  const ready = import("mqtt").then(({ default: mqtt }) => {
    const client = mqtt.connect(server, { protocolVersion: 5, reconnectPeriod: 1000, connectTimeout: 5000 });
    let lastProblem = "";
    client.on("error", (error) => {
      if (error.message === lastProblem) return;
      lastProblem = error.message;
      news.problem(error.message);
    });
    client.on("connect", () => {
      lastProblem = "";
      news.connected();
    });
    return client;
  });
  let client: Awaited<typeof ready> | undefined;
  void ready.then((c) => (client = c));
  return {
    async publish(sensorId, _seq, message) {
      await (await ready).publishAsync(`${topic}/${sensorId}`, message, { qos: 1 });
    },
    connected: () => client?.connected === true,
    async close(force) {
      await (await ready).endAsync(force).catch(() => {});
    },
  };
}

function jetStreamPublisher(server: string, prefix: string, news: PublisherNews): Publisher {
  const stream = streamNameOf(prefix);
  let isConnected = false;
  /** Set by close(): a connection attempt under way stops, and one made meanwhile is closed. */
  let closed = false;
  let open: NatsConnection | undefined;
  const ready = (async () => {
    const [{ connect }, { jetstream, jetstreamManager }] = await Promise.all([
      import("@nats-io/transport-node"),
      import("@nats-io/jetstream"),
    ]);
    while (!closed) {
      try {
        const connection = await connect({ servers: server, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
        open = connection;
        if (closed) break;
        const manager = await jetstreamManager(connection);
        try {
          await manager.streams.info(stream);
        } catch {
          await manager.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: "file" } as never);
        }
        isConnected = true;
        news.connected();
        void (async () => {
          for await (const status of connection.status()) {
            if (status.type === "disconnect") isConnected = false;
            if (status.type === "reconnect") isConnected = true;
          }
        })();
        return { connection, client: jetstream(connection) };
      } catch (error) {
        news.problem((error as Error).message);
        await Bun.sleep(1000);
      }
    }
    throw new Error("closed before the server could be reached");
  })();
  // A publish waiting for the connection fails when closing ends the attempts; nobody else awaits `ready`.
  ready.catch(() => {});
  return {
    async publish(sensorId, seq, message) {
      const { client } = await ready;
      // The reading's identity as the message id: published again (a retry), it is stored once.
      await client.publish(`${prefix}.${sensorId}`, message, { msgID: `${sensorId}:${seq}` });
    },
    connected: () => isConnected,
    async close() {
      closed = true;
      if (open === undefined) return;
      // What was published reaches the server first, when it is there; bounded, so a server that went away
      // (the client would reconnect for ever) cannot keep the program running.
      const { closeConnection } = await import("@poolstream/jetstream");
      await closeConnection(open);
    },
  };
}
