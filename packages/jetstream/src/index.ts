/**
 * @poolstream/jetstream: NATS JetStream for poolstream. Readings from a
 * stream as the pipeline's durable input, outcomes published to one, and an
 * executor whose batches are computed by worker nodes anywhere on the network.
 */

export { closeConnection } from "./internal/connect-with-retry.ts";
export {
  JetStreamExecutor,
  type JetStreamExecutorOptions,
  type JetStreamExecutorStats,
  type NodeStats,
} from "./jetstream-executor.ts";
export { JetStreamPublishSink, type JetStreamPublishSinkOptions } from "./jetstream-publish-sink.ts";
export { JetStreamSource, type JetStreamSourceOptions, type UnreadableMessage } from "./jetstream-source.ts";
export { checkWorkPrefix, type NatsAddress, parseNatsUrl, streamNameOf } from "./nats-address.ts";
export { errorOfRemoteFailure, type RemoteFailure, remoteFailureOf } from "./remote-outcome.ts";
export { decodeWireBody, encodeWireBody } from "./wire-body.ts";
export {
  type DeliveryInfo,
  type DeliveryPolicy,
  deliveryInfoOf,
  Header,
  type WorkTopology,
  workTopology,
} from "./work-protocol.ts";
export { WorkerNode, type WorkerNodeOptions, type WorkerNodeStats } from "./worker-node.ts";
