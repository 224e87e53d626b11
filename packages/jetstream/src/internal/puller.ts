/**
 * Pull requests to JetStream consumers, made by hand over one inbox
 * subscription. The client's `fetch` waits at least a second and cannot
 * return at once when nothing is there; a worker node that must look at
 * CRITICAL work before NORMAL work needs exactly that (`no_wait`), so it
 * sends `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` itself. Every request
 * replies to `<inbox>.<n>` under one wildcard subscription, made once: a
 * subscription per request cost the node and the server a SUB and an UNSUB
 * each, several per batch. The server sends up to `batch` messages, then
 * (when it has fewer) a status message: 404 nothing there, 408 expired, 409
 * and others; 100 is a heartbeat. A message's reply subject is its
 * acknowledgement subject.
 *
 * A status message comes on the request's own inbox, so it names its request;
 * a delivered message keeps the subject it was published to, so it is counted
 * against the oldest open request of its consumer (named in its
 * acknowledgement subject), which is the one the server fills first.
 */
import { createInbox, type Msg, type NatsConnection, nanos, type Subscription } from "@nats-io/transport-node";

export interface PullOptions {
  readonly batch: number;
  /** Wait this long for messages; without it, return what is there now. */
  readonly expiresMs?: number;
}

interface OpenRequest {
  readonly consumer: string;
  remaining: number;
  received: number;
  end(): void;
}

/** Slack beyond the request's own expiry before it is given up on (the server or the connection is gone). */
const SLACK_MS = 2_000;

export class Puller {
  readonly #connection: NatsConnection;
  readonly #inbox = createInbox();
  readonly #subscription: Subscription;
  readonly #open = new Map<string, OpenRequest>();
  /** Open requests per consumer, oldest first. */
  readonly #queues = new Map<string, OpenRequest[]>();
  readonly #deliver: (message: Msg) => void;
  #next = 0;

  readonly #ended: () => void;

  /**
   * `deliver` gets every message any request brings, a late one included (it is a delivery all the same);
   * `ended` hears that a request ended, so that a caller waiting on it can look again.
   */
  constructor(connection: NatsConnection, deliver: (message: Msg) => void, ended: () => void = () => {}) {
    this.#connection = connection;
    this.#deliver = deliver;
    this.#ended = ended;
    this.#subscription = connection.subscribe(`${this.#inbox}.*`, {
      callback: (_error, message) => this.#onMessage(message),
    });
  }

  /** One pull request; resolves with how many messages it brought, once it has ended. */
  pull(stream: string, consumer: string, options: PullOptions): Promise<number> {
    if (options.batch < 1) return Promise.resolve(0);
    const token = String(++this.#next);
    const body =
      options.expiresMs === undefined
        ? { batch: options.batch, no_wait: true }
        : { batch: options.batch, expires: nanos(options.expiresMs) };
    return new Promise((resolve) => {
      const timer = setTimeout(() => request.end(), (options.expiresMs ?? 0) + SLACK_MS);
      const request: OpenRequest = {
        consumer,
        remaining: options.batch,
        received: 0,
        end: () => {
          clearTimeout(timer);
          if (!this.#open.delete(token)) return;
          const queue = this.#queues.get(consumer) ?? [];
          queue.splice(queue.indexOf(request), 1);
          resolve(request.received);
          this.#ended();
        },
      };
      this.#open.set(token, request);
      const queue = this.#queues.get(consumer);
      if (queue === undefined) this.#queues.set(consumer, [request]);
      else queue.push(request);
      try {
        this.#connection.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify(body), {
          reply: `${this.#inbox}.${token}`,
        });
      } catch {
        request.end(); // the connection is closing
      }
    });
  }

  #onMessage(message: Msg): void {
    const code = message.headers?.code ?? 0;
    if (code === 100) return;
    if (code !== 0 || message.reply === undefined) {
      this.#open.get(message.subject.slice(this.#inbox.length + 1))?.end();
      return;
    }
    this.#deliver(message);
    const consumer = consumerOf(message.reply);
    const request = consumer === undefined ? undefined : this.#queues.get(consumer)?.[0];
    if (request === undefined) return; // for a request given up on: a delivery all the same
    request.received++;
    if (--request.remaining <= 0) request.end();
  }

  /** Resolves once no request is open (each ends by a status, its count, or its expiry and slack). */
  async settled(): Promise<void> {
    while (this.#open.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Ends every open request and the subscription. */
  close(): void {
    for (const request of [...this.#open.values()]) request.end();
    this.#subscription.unsubscribe();
  }
}

/** The consumer an acknowledgement subject names: `$JS.ACK.<stream>.<consumer>.…` (or with domain and account first). */
function consumerOf(reply: string): string | undefined {
  if (!reply.startsWith("$JS.ACK.")) return undefined;
  const tokens = reply.split(".");
  return tokens.length === 9 ? tokens[3] : tokens.length >= 12 ? tokens[5] : undefined;
}
