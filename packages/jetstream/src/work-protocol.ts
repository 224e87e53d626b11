/**
 * What a `JetStreamExecutor` and its worker nodes agree on: the names of the
 * streams, consumers and subjects under one prefix, the headers a batch and
 * a result carry, and how both sides make the streams and consumers exist.
 *
 * - Work: one stream with work-queue retention (a message is gone once a
 *   worker acknowledges it) and file storage, two subjects, `critical` and
 *   `normal` (server 2.9 has no priority groups, so priority is which
 *   subject a worker pulls from first), and one durable pull consumer per
 *   subject shared by every worker node.
 * - Results: one stream, limits retention, a subject per executor.
 * - Dead: messages a worker could not read, with the reason.
 * - Nodes: a plain subject on which each node says, once a second, that it is there.
 */
import { AckPolicy, type JetStreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { checkWorkPrefix } from "./nats-address.ts";

/** The names under one prefix. */
export interface WorkTopology {
  readonly prefix: string;
  readonly workStream: string;
  readonly criticalSubject: string;
  readonly normalSubject: string;
  readonly criticalConsumer: string;
  readonly normalConsumer: string;
  readonly resultsStream: string;
  readonly deadStream: string;
  readonly deadSubject: string;
  readonly nodesSubject: string;
  /** Where the server says a message reached its delivery limit on either work consumer. */
  readonly maxDeliveriesAdvisory: string;
  resultsSubject(executorId: string): string;
}

/** Headers of a batch message (the body is a wire body) and of a result message. */
export const Header = {
  batch: "Poolstream-Batch",
  kernel: "Poolstream-Kernel",
  replyTo: "Poolstream-Reply-To",
  deadline: "Poolstream-Deadline",
  priority: "Poolstream-Priority",
  status: "Poolstream-Status",
  node: "Poolstream-Node",
  deliveries: "Poolstream-Deliveries",
  reason: "Poolstream-Reason",
} as const;

/** The names for `prefix` (see `checkWorkPrefix`). Throws `InvalidArgumentError` for a prefix that cannot be one. */
export function workTopology(prefix = "poolstream"): WorkTopology {
  checkWorkPrefix(prefix);
  const upper = prefix.toUpperCase();
  const workStream = `${upper}_WORK`;
  return Object.freeze({
    prefix,
    workStream,
    criticalSubject: `${prefix}.work.critical`,
    normalSubject: `${prefix}.work.normal`,
    criticalConsumer: `${prefix}-critical`,
    normalConsumer: `${prefix}-normal`,
    resultsStream: `${upper}_RESULTS`,
    deadStream: `${upper}_DEAD`,
    deadSubject: `${prefix}.dead`,
    nodesSubject: `${prefix}.nodes`,
    maxDeliveriesAdvisory: `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${workStream}.*`,
    resultsSubject: (executorId: string) => `${prefix}.results.${executorId}`,
  });
}

/** How the work consumers treat a batch that is not acknowledged. */
export interface DeliveryPolicy {
  /** How long a worker may hold a batch without acknowledging or saying it is still working on it. */
  readonly ackWaitMs: number;
  /** Deliveries of one batch, at most; then the executor is told and fails it. */
  readonly maxDeliver: number;
}

/** A publish a retried reconnect might repeat is stored once if it comes back within this window. */
const DUPLICATE_WINDOW_MS = 120_000;
/** How long results are kept for an executor that was disconnected when they came. */
const RESULTS_MAX_AGE_MS = 60 * 60_000;

/**
 * Makes the streams and the work consumers exist. With `policy` (the
 * executor's), the consumers are made or updated to it; without (a worker
 * node), existing consumers are left as they are and missing ones are made
 * with `fallback`.
 */
export async function ensureWorkTopology(
  manager: JetStreamManager,
  topology: WorkTopology,
  policy: DeliveryPolicy | undefined,
  fallback: DeliveryPolicy,
): Promise<void> {
  await ensureStream(manager, {
    name: topology.workStream,
    subjects: [topology.criticalSubject, topology.normalSubject],
    retention: RetentionPolicy.Workqueue,
  });
  await ensureStream(manager, {
    name: topology.resultsStream,
    subjects: [`${topology.prefix}.results.>`],
    retention: RetentionPolicy.Limits,
    max_age: nanos(RESULTS_MAX_AGE_MS),
  });
  await ensureStream(manager, {
    name: topology.deadStream,
    subjects: [topology.deadSubject],
    retention: RetentionPolicy.Limits,
  });
  for (const [name, subject] of [
    [topology.criticalConsumer, topology.criticalSubject],
    [topology.normalConsumer, topology.normalSubject],
  ] as const) {
    const wanted = policy ?? fallback;
    const settings = { ack_wait: nanos(wanted.ackWaitMs), max_deliver: wanted.maxDeliver, max_ack_pending: 10_000 };
    let exists = true;
    try {
      await manager.consumers.info(topology.workStream, name);
    } catch {
      exists = false;
    }
    if (!exists) {
      try {
        await manager.consumers.add(topology.workStream, {
          durable_name: name,
          filter_subject: subject,
          ack_policy: AckPolicy.Explicit,
          ...settings,
        });
        continue;
      } catch {
        // made meanwhile by another node or executor: updated below if this side owns the policy
      }
    }
    if (policy !== undefined) await manager.consumers.update(topology.workStream, name, settings);
  }
}

async function ensureStream(
  manager: JetStreamManager,
  config: { name: string; subjects: string[]; retention: RetentionPolicy; max_age?: number },
): Promise<void> {
  try {
    await manager.streams.info(config.name);
  } catch {
    try {
      await manager.streams.add({
        ...config,
        storage: StorageType.File,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      });
    } catch (error) {
      // made meanwhile by another node or executor
      await manager.streams.info(config.name).catch(() => {
        throw error;
      });
    }
  }
}

/** What the reply subject of a delivered JetStream message says about it. */
export interface DeliveryInfo {
  readonly deliveries: number;
  readonly streamSequence: number;
}

/**
 * Reads the delivery count and stream sequence from an acknowledgement
 * subject: `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`
 * (and the longer form with domain and account hash). Undefined for anything else.
 */
export function deliveryInfoOf(reply: string | undefined): DeliveryInfo | undefined {
  if (reply === undefined || !reply.startsWith("$JS.ACK.")) return undefined;
  const tokens = reply.split(".");
  // The short form has 9 tokens; the long form 12 (or more), with <delivered> at 6 instead of 4.
  const at = tokens.length === 9 ? 4 : tokens.length >= 12 ? 6 : -1;
  if (at === -1) return undefined;
  const deliveries = Number(tokens[at]);
  const streamSequence = Number(tokens[at + 1]);
  if (!Number.isInteger(deliveries) || !Number.isInteger(streamSequence)) return undefined;
  return { deliveries, streamSequence };
}
