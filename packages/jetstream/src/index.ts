/** @poolstream/jetstream: readings from NATS JetStream, the pipeline's durable input, and outcomes published to it. */

export { JetStreamPublishSink, type JetStreamPublishSinkOptions } from "./jetstream-publish-sink.ts";
export { JetStreamSource, type JetStreamSourceOptions, type UnreadableMessage } from "./jetstream-source.ts";
export { type NatsAddress, parseNatsUrl, streamNameOf } from "./nats-address.ts";
