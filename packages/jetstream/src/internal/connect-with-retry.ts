/**
 * A connection that is tried again until it is made: an executor or a worker
 * node started before its server (or while it restarts) waits for it, saying
 * so in one line per attempt, never with a stack trace. Once connected, the
 * client reconnects by itself for as long as the connection is open.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AbortError } from "@poolstream/core";

export interface ConnectOptions {
  readonly url: string;
  /** Shown in the server's connection list. */
  readonly name: string;
  readonly log: (line: string) => void;
  /** Stops trying: the promise rejects with `AbortError`. */
  readonly signal?: AbortSignal;
}

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 10_000;

export async function connectWithRetry(options: ConnectOptions): Promise<NatsConnection> {
  let waitMs = FIRST_RETRY_MS;
  for (;;) {
    if (options.signal?.aborted === true) throw new AbortError("stopped before the server could be reached");
    try {
      const connection = await connect({
        servers: options.url,
        name: options.name,
        timeout: 2_000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
      void watchStatus(connection, options);
      return connection;
    } catch (error) {
      options.log(
        `cannot reach ${options.url} (${(error as Error).message}); trying again in ${formatSeconds(waitMs)}`,
      );
    }
    await sleepUnlessAborted(waitMs, options.signal);
    waitMs = Math.min(LAST_RETRY_MS, waitMs * 2);
  }
}

async function watchStatus(connection: NatsConnection, options: ConnectOptions): Promise<void> {
  for await (const status of connection.status()) {
    if (status.type === "disconnect") options.log(`lost ${options.url}; reconnecting`);
    else if (status.type === "reconnect") options.log(`connected to ${options.url} again`);
  }
}

function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 1000 ? 1 : 0)} s`;

/** How long a draining close may take before the connection is just closed. */
const DRAIN_TIMEOUT_MS = 2_000;

/** Drains `connection` (what was published reaches the server first), bounded in time. */
export async function closeConnection(connection: NatsConnection): Promise<void> {
  if (connection.isClosed()) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
  });
  await Promise.race([connection.drain().catch(() => {}), late]);
  clearTimeout(timer);
  if (!connection.isClosed()) await connection.close().catch(() => {});
}
