/**
 * `mqtt://host:port/topic` split into the broker and the topic. Not through
 * `URL`: a topic filter's `#` is what a URL parser takes for the start of a
 * fragment, and an empty one it drops (`mqtt://host/sensors/#` would lose it).
 */
import { InvalidArgumentError } from "@poolstream/core";

export interface MqttAddress {
  /** `mqtt://host:port`, for the client. */
  readonly server: string;
  /** What follows the host, as written ("" when nothing does). */
  readonly topic: string;
}

/** Splits `raw`; throws `InvalidArgumentError` for anything but `mqtt://host[:port][/topic]` (or mqtts). */
export function parseMqttUrl(raw: string): MqttAddress {
  const match = /^(mqtts?):\/\/([^/\s]+)(?:\/(.*))?$/.exec(raw);
  if (match === null)
    throw new InvalidArgumentError(`an MQTT address is mqtt://host:port/topic, got ${JSON.stringify(raw)}`);
  const [, scheme, host, topic = ""] = match;
  return { server: `${scheme}://${host}`, topic };
}
