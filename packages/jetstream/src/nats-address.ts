/**
 * `nats://host:port/readings` split into the server and a subject prefix,
 * and the names poolstream derives from that prefix: the stream that keeps
 * `readings.>` is `READINGS`.
 */
import { InvalidArgumentError } from "@poolstream/core";

export interface NatsAddress {
  /** `nats://host:port`, for the client. */
  readonly server: string;
  /** The subject prefix ("" when none is given): messages go to `<prefix>.<sensor>`. */
  readonly prefix: string;
}

/** Splits `raw`; throws `InvalidArgumentError` for anything but `nats://host[:port][/prefix]`. */
export function parseNatsUrl(raw: string): NatsAddress {
  const match = /^nats:\/\/([^/\s]+)(?:\/([A-Za-z0-9_\-.]*))?$/.exec(raw);
  if (match === null) {
    throw new InvalidArgumentError(`a NATS address is nats://host:port/subject-prefix, got ${JSON.stringify(raw)}`);
  }
  const [, host, prefix = ""] = match;
  if (prefix.startsWith(".") || prefix.endsWith(".") || prefix.includes("..")) {
    throw new InvalidArgumentError(`a subject prefix is tokens joined by dots, got ${JSON.stringify(prefix)}`);
  }
  return { server: `nats://${host}`, prefix };
}

/** The stream that keeps `<prefix>.>`: the prefix upper-cased, dots and dashes as underscores. */
export function streamNameOf(prefix: string): string {
  return prefix.toUpperCase().replace(/[.-]/g, "_");
}

const WORK_PREFIX = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * Returns `prefix` when it can name a scale-out's streams and subjects
 * (`JetStreamExecutor`, `WorkerNode`): 1 to 32 lower-case letters, digits,
 * - or _, starting with a letter or digit. Throws `InvalidArgumentError` otherwise.
 */
export function checkWorkPrefix(prefix: unknown): string {
  if (typeof prefix !== "string" || !WORK_PREFIX.test(prefix)) {
    throw new InvalidArgumentError(
      `prefix must be 1 to 32 lower-case letters, digits, - or _, starting with a letter or digit; got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}
