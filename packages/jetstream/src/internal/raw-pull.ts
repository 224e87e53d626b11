/**
 * One pull request to a JetStream consumer, made by hand. The client's
 * `fetch` waits at least a second and cannot return at once when nothing is
 * there; a worker node that must look at CRITICAL work before NORMAL work
 * needs exactly that (`no_wait`), so it sends the request itself:
 * `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` with a reply inbox. The
 * server sends up to `batch` messages to the inbox, then (when it has fewer)
 * a status message; each message's reply subject is its acknowledgement
 * subject.
 */
import { createInbox, type Msg, type NatsConnection, nanos } from "@nats-io/transport-node";

export interface PullOptions {
  readonly batch: number;
  /** Wait this long for messages; without it, return what is there now. */
  readonly expiresMs?: number;
}

/** Slack beyond the request's own expiry before it is given up on (the server or the connection is gone). */
const SLACK_MS = 2_000;

/** Calls `deliver` for each message as it arrives; resolves when the request has ended. */
export async function pull(
  connection: NatsConnection,
  stream: string,
  consumer: string,
  options: PullOptions,
  deliver: (message: Msg) => void,
): Promise<number> {
  const inbox = createInbox();
  const subscription = connection.subscribe(inbox);
  const request =
    options.expiresMs === undefined
      ? { batch: options.batch, no_wait: true }
      : { batch: options.batch, expires: nanos(options.expiresMs) };
  const giveUp = setTimeout(() => subscription.unsubscribe(), (options.expiresMs ?? 0) + SLACK_MS);
  let received = 0;
  try {
    connection.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify(request), { reply: inbox });
    for await (const message of subscription) {
      // A status (404 nothing there, 408 expired, 409 ...) ends the request; 100 is a heartbeat.
      const code = message.headers?.code ?? 0;
      if (code === 100) continue;
      if (code !== 0 || message.reply === undefined) break;
      received++;
      deliver(message);
      if (received >= options.batch) break;
    }
  } finally {
    clearTimeout(giveUp);
    subscription.unsubscribe();
  }
  return received;
}
