/** @poolstream/jetstream: readings from NATS JetStream, the pipeline's durable input, and outcomes published to it. */

export { JetStreamSource, type JetStreamSourceOptions, type UnreadableMessage } from "./jetstream-source.ts";
export { type NatsAddress, parseNatsUrl, streamNameOf } from "./nats-address.ts";
