/**
 * An `Executor` whose workers are worker nodes anywhere on the network,
 * through NATS JetStream. A batch is one message on the work stream (its id
 * the message id, so a publish repeated after a reconnect is stored once),
 * on the CRITICAL or NORMAL subject by its priority; a worker node computes
 * it, publishes the result to this executor's results subject and only then
 * acknowledges the batch. A node that dies holding a batch never acknowledges
 * it, so the server delivers it again after `ackWaitMs`; a batch delivered
 * `maxDeliver` times without an answer fails with `DeliveryLimitError`. The
 * first result of a batch settles it and later ones are dropped, so a batch
 * computed twice after a redelivery counts once. A pipeline sees none of
 * this: its failure policy (recovery, bisection, dead letters) applies to
 * these errors as to a local pool's.
 */

import {
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { headers, type Msg, type NatsConnection, nuid, type Subscription } from "@nats-io/transport-node";
import {
  AbortError,
  checkDurationMs,
  DeliveryLimitError,
  durationError,
  type Executor,
  type ExecutorStats,
  InvalidArgumentError,
  isDurationMs,
  type Kernel,
  PoolClosedError,
  type RunOptions,
  TaskTimeoutError,
  WorkerCrashedError,
} from "@poolstream/core";
import { closeConnection, connectWithRetry } from "./internal/connect-with-retry.ts";
import { errorOfRemoteFailure, parseRemoteFailure } from "./remote-outcome.ts";
import { decodeWireBody, encodeWireBody } from "./wire-body.ts";
import { ensureWorkTopology, Header, type WorkTopology, workTopology } from "./work-protocol.ts";

export interface JetStreamExecutorOptions {
  /** The server: `nats://host:port`. */
  readonly url: string;
  /** Names the streams, consumers and subjects; executors and nodes with the same prefix work together. Default "poolstream". */
  readonly prefix?: string;
  /** Batches outstanding across the cluster that a pipeline keeps, at most. Default 16. */
  readonly capacity?: number;
  /** Default limit from publish to result, per batch; none by default (a batch waits for a node). */
  readonly taskTimeoutMs?: number;
  /** How long a node may hold a batch without a heartbeat before it is delivered again. Default 5 s. */
  readonly ackWaitMs?: number;
  /** Deliveries of one batch, at most, before it fails with `DeliveryLimitError`. Default 5. */
  readonly maxDeliver?: number;
  /** How long `close()` waits for outstanding batches before failing them with `PoolClosedError`. Default 30 s. */
  readonly closeTimeoutMs?: number;
  /** Hears about the connection. */
  readonly log?: (line: string) => void;
}

/** What one worker node did for this executor. */
export interface NodeStats {
  readonly node: string;
  /** Batches whose (first) result came from this node. */
  readonly batches: number;
  /** Of those, the ones it got on a second or later delivery. */
  readonly redeliveries: number;
  /** Whether it said it is there within the last 3 s. */
  readonly alive: boolean;
  /** Threads it computes with. */
  readonly threads: number;
}

/** The executor's own counters beyond `ExecutorStats`. */
export interface JetStreamExecutorStats extends ExecutorStats {
  /** Batches settled by a result that came on a second or later delivery. */
  readonly redeliveries: number;
  /** Results dropped because their batch had already settled: computed twice, or after its timeout or abort. */
  readonly duplicateResults: number;
  /** Batches that reached the delivery limit. */
  readonly deliveryLimited: number;
  /** Longest time from publish to result among redelivered batches (the recovery after a lost node), ms. */
  readonly slowestRedeliveryMs: number;
  readonly nodes: readonly NodeStats[];
}

interface Outstanding {
  readonly id: string;
  readonly publishedAt: number;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
  sequence?: number;
  /** Resolves with the batch's stream sequence once stored, or undefined if it never was. */
  published?: Promise<number | undefined>;
  cleanup(): void;
}

interface NodeRecord {
  lastSeen: number;
  threads: number;
  batches: number;
  redeliveries: number;
}

const NODE_ALIVE_MS = 3_000;
/** How long a failing batch waits to be withdrawn from the stream before it is rejected anyway. */
const WITHDRAW_BOUND_MS = 3_000;

export class JetStreamExecutor implements Executor {
  readonly capacity: number;
  readonly topology: WorkTopology;
  readonly #options: JetStreamExecutorOptions;
  readonly #id = nuid.next();
  readonly #ackWaitMs: number;
  readonly #maxDeliver: number;
  readonly #taskTimeoutMs: number | undefined;
  readonly #closeTimeoutMs: number;
  readonly #log: (line: string) => void;
  readonly #outstanding = new Map<string, Outstanding>();
  readonly #bySequence = new Map<number, string>();
  readonly #nodes = new Map<string, NodeRecord>();
  readonly #stop = new AbortController();
  #ready: Promise<Connected> | undefined;
  /** Whether the setup has ever succeeded: close() waits for outstanding batches only then. */
  #isConnected = false;
  #closing: Promise<void> | undefined;
  #next = 0;
  #counts = {
    completed: 0,
    failed: 0,
    crashes: 0,
    timeouts: 0,
    redeliveries: 0,
    duplicateResults: 0,
    deliveryLimited: 0,
    slowestRedeliveryMs: 0,
  };

  /** Throws `InvalidArgumentError` for a URL that is not NATS or options out of range. Connects on first use. */
  constructor(options: JetStreamExecutorOptions) {
    if (typeof options?.url !== "string" || !/^nats:\/\/[^/\s]+$/.test(options.url)) {
      throw new InvalidArgumentError(`url must be nats://host:port, got ${JSON.stringify(options?.url)}`);
    }
    this.topology = workTopology(options.prefix);
    this.capacity = integerIn("capacity", options.capacity ?? 16, 1, 100_000);
    this.#ackWaitMs = checkDurationMs("ackWaitMs", options.ackWaitMs ?? 5_000);
    if (this.#ackWaitMs < 100) throw new InvalidArgumentError(`ackWaitMs must be at least 100, got ${this.#ackWaitMs}`);
    this.#maxDeliver = integerIn("maxDeliver", options.maxDeliver ?? 5, 1, 1_000);
    this.#taskTimeoutMs =
      options.taskTimeoutMs === undefined ? undefined : checkDurationMs("taskTimeoutMs", options.taskTimeoutMs);
    this.#closeTimeoutMs = checkDurationMs("closeTimeoutMs", options.closeTimeoutMs ?? 30_000);
    this.#options = options;
    this.#log = options.log ?? (() => {});
  }

  /** Connects (trying again until the server answers) and makes the streams; `run` does it by itself. */
  ready(): Promise<void> {
    return this.#connected().then(() => undefined);
  }

  run<I, O>(kernel: Kernel<I, O>, input: I, options: RunOptions = {}): Promise<O> {
    if (this.#closing !== undefined) return Promise.reject(new PoolClosedError());
    if (typeof kernel !== "function" || (kernel as Partial<Kernel<I, O>>).kernel === undefined) {
      return Promise.reject(new InvalidArgumentError("task must be a kernel made with defineKernel"));
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const timeoutMs = options.timeoutMs ?? this.#taskTimeoutMs;
    if (timeoutMs !== undefined && !isDurationMs(timeoutMs))
      return Promise.reject(durationError("timeoutMs", timeoutMs));
    // Encoded now, while the input is still the caller's: a transferred buffer is read before run returns.
    const body = encodeWireBody(input);
    const id = `${this.#id}.${++this.#next}`;
    return new Promise<O>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => this.#fail(id, new AbortError(signal?.reason), true);
      const entry: Outstanding = {
        id,
        publishedAt: performance.now(),
        resolve: resolve as (output: unknown) => void,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      this.#outstanding.set(id, entry);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#counts.timeouts++;
          this.#fail(id, new TaskTimeoutError(timeoutMs), true);
        }, timeoutMs);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      const ref = kernel.kernel;
      const head = headers();
      head.set(Header.batch, id);
      head.set(Header.kernel, `${ref.module}#${ref.exportName}`);
      head.set(Header.replyTo, this.topology.resultsSubject(this.#id));
      head.set(Header.priority, options.priority ?? "normal");
      if (timeoutMs !== undefined) head.set(Header.deadline, String(Date.now() + timeoutMs));
      const subject = options.priority === "urgent" ? this.topology.criticalSubject : this.topology.normalSubject;
      entry.published = this.#publish(entry, subject, body, head);
    });
  }

  /** Publishes until the server has stored the batch (the same id is stored once), or the batch has settled. */
  async #publish(
    entry: Outstanding,
    subject: string,
    body: Uint8Array,
    head: ReturnType<typeof headers>,
  ): Promise<number | undefined> {
    let waitMs = 100;
    for (;;) {
      let js: JetStreamClient;
      try {
        ({ js } = await this.#connected());
      } catch (error) {
        // Closed before connecting (close() fails the batch), or the setup failed (JetStream not enabled
        // yet, the server restarting): tried again after a pause, until the batch settles.
        if (this.#stop.signal.aborted || !this.#outstanding.has(entry.id)) return undefined;
        this.#log(`cannot set up the work streams (${(error as Error).message}); trying again`);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        waitMs = Math.min(2_000, waitMs * 2);
        continue;
      }
      if (!this.#outstanding.has(entry.id)) return undefined;
      try {
        const ack = await js.publish(subject, body, { msgID: entry.id, headers: head, timeout: 2_000 });
        // Failed meanwhile: the failing side withdraws it, having waited for this.
        if (this.#outstanding.has(entry.id)) {
          entry.sequence = ack.seq;
          this.#bySequence.set(ack.seq, entry.id);
        }
        return ack.seq;
      } catch (error) {
        if (!this.#outstanding.has(entry.id)) return undefined;
        this.#log(`could not publish batch ${entry.id} (${(error as Error).message}); trying again`);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        waitMs = Math.min(2_000, waitMs * 2);
      }
    }
  }

  #connected(): Promise<Connected> {
    // A setup that failed is not kept: the next call tries again.
    this.#ready ??= this.#connect().then(
      (connected) => {
        this.#isConnected = true;
        return connected;
      },
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }

  async #connect(): Promise<Connected> {
    const connection = await connectWithRetry({
      url: this.#options.url,
      name: `poolstream executor ${this.#id}`,
      log: this.#log,
      signal: this.#stop.signal,
    });
    try {
      const manager = await jetstreamManager(connection);
      const policy = { ackWaitMs: this.#ackWaitMs, maxDeliver: this.#maxDeliver };
      await ensureWorkTopology(manager, this.topology, policy, policy);
      const js = jetstream(connection);
      const consumer = await js.consumers.get(this.topology.resultsStream, {
        filter_subjects: this.topology.resultsSubject(this.#id),
      });
      // Short pulls: after a server restart the client notices a lost pull by its missing heartbeats
      // (half the expiry each), so a 30 s default would leave results unread for most of a minute.
      const results = await consumer.consume({ max_messages: 1_000, expires: 2_000 });
      void (async () => {
        for await (const message of results) this.#onResult(message.headers, message.data);
      })();
      const advisories = connection.subscribe(this.topology.maxDeliveriesAdvisory, {
        callback: (_error, message) => this.#onDeliveryLimit(message),
      });
      const presence = connection.subscribe(this.topology.nodesSubject, {
        callback: (_error, message) => this.#onPresence(message),
      });
      return {
        connection,
        js,
        manager,
        results,
        consumerDelete: () => consumer.delete(),
        subscriptions: [advisories, presence],
      };
    } catch (error) {
      await closeConnection(connection);
      throw error;
    }
  }

  #onResult(head: Msg["headers"], data: Uint8Array): void {
    const id = head?.get(Header.batch) ?? "";
    const node = head?.get(Header.node) || "unknown";
    const deliveries = Number(head?.get(Header.deliveries) || "1");
    const entry = this.#outstanding.get(id);
    if (entry === undefined) {
      this.#counts.duplicateResults++;
      return;
    }
    const record = this.#node(node);
    record.batches++;
    if (deliveries > 1) {
      record.redeliveries++;
      this.#counts.redeliveries++;
      this.#counts.slowestRedeliveryMs = Math.max(
        this.#counts.slowestRedeliveryMs,
        performance.now() - entry.publishedAt,
      );
    }
    if (head?.get(Header.status) === "ok") {
      let output: unknown;
      try {
        output = decodeWireBody(data);
      } catch (error) {
        this.#fail(id, error as Error, false);
        return;
      }
      this.#settle(id);
      this.#counts.completed++;
      entry.resolve(output);
      return;
    }
    const error = errorOfRemoteFailure(parseRemoteFailure(new TextDecoder().decode(data)));
    if (error instanceof WorkerCrashedError) this.#counts.crashes++;
    this.#fail(id, error, false);
  }

  #onDeliveryLimit(message: Msg): void {
    let advisory: { stream_seq?: unknown; deliveries?: unknown };
    try {
      advisory = message.json();
    } catch {
      return;
    }
    const sequence = Number(advisory.stream_seq);
    const id = this.#bySequence.get(sequence);
    if (id === undefined) return;
    this.#counts.deliveryLimited++;
    // A work-queue stream keeps a message no consumer will deliver again: it is removed, as the batch fails.
    this.#fail(id, new DeliveryLimitError(Number(advisory.deliveries) || this.#maxDeliver), true);
  }

  #onPresence(message: Msg): void {
    try {
      const said = message.json<{ node?: unknown; threads?: unknown; leaving?: unknown }>();
      if (typeof said.node !== "string") return;
      const record = this.#node(said.node);
      record.lastSeen = said.leaving === true ? 0 : performance.now();
      if (typeof said.threads === "number") record.threads = said.threads;
    } catch {
      // not ours
    }
  }

  #node(name: string): NodeRecord {
    let record = this.#nodes.get(name);
    if (record === undefined) {
      record = { lastSeen: 0, threads: 0, batches: 0, redeliveries: 0 };
      this.#nodes.set(name, record);
    }
    return record;
  }

  /** Removes a batch from the books; true if it was there. */
  #settle(id: string): Outstanding | undefined {
    const entry = this.#outstanding.get(id);
    if (entry === undefined) return undefined;
    this.#outstanding.delete(id);
    entry.cleanup();
    if (entry.sequence !== undefined) this.#bySequence.delete(entry.sequence);
    return entry;
  }

  /** Fails a batch; with `withdraw`, also takes it off the work stream if no node has taken it yet. */
  #fail(id: string, error: Error, withdraw: boolean): void {
    const entry = this.#settle(id);
    if (entry === undefined) return;
    this.#counts.failed++;
    if (!withdraw) {
      entry.reject(error);
      return;
    }
    // Rejected once the batch is off the stream (or after a bound, when the server is away): the slot this
    // frees lets the pipeline publish another, and the stream must never hold more than `capacity` of them.
    const off = (entry.published ?? Promise.resolve(undefined)).then((sequence) =>
      sequence === undefined ? undefined : this.#withdraw(sequence),
    );
    let bound: ReturnType<typeof setTimeout> | undefined;
    void Promise.race([off, new Promise((resolve) => (bound = setTimeout(resolve, WITHDRAW_BOUND_MS)))]).then(() => {
      clearTimeout(bound);
      entry.reject(error);
    });
  }

  async #withdraw(sequence: number): Promise<void> {
    try {
      const { manager } = await this.#connected();
      await manager.streams.deleteMessage(this.topology.workStream, sequence, false);
    } catch {
      // already taken and acknowledged, or the server is away: a late result is dropped either way
    }
  }

  /**
   * Stops accepting batches, waits up to `closeTimeoutMs` for the
   * outstanding ones, fails the rest with `PoolClosedError`, then removes its
   * results consumer and closes the connection. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const deadline = performance.now() + this.#closeTimeoutMs;
    while (this.#outstanding.size > 0 && performance.now() < deadline && this.#isConnected) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const id of [...this.#outstanding.keys()]) this.#fail(id, new PoolClosedError(), true);
    this.#stop.abort();
    if (this.#ready === undefined) return;
    let connected: Connected;
    try {
      connected = await this.#ready;
    } catch {
      return;
    }
    await connected.results.close().catch(() => {});
    await connected.consumerDelete().catch(() => false);
    for (const subscription of connected.subscriptions) subscription.unsubscribe();
    await closeConnection(connected.connection);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  stats(): JetStreamExecutorStats {
    const now = performance.now();
    const nodes = [...this.#nodes].map(([node, record]) =>
      Object.freeze({
        node,
        batches: record.batches,
        redeliveries: record.redeliveries,
        alive: record.lastSeen > 0 && now - record.lastSeen < NODE_ALIVE_MS,
        threads: record.threads,
      }),
    );
    const alive = nodes.filter((node) => node.alive);
    return Object.freeze({
      workers: alive.reduce((sum, node) => sum + node.threads, 0),
      pending: 0,
      inFlight: this.#outstanding.size,
      completed: this.#counts.completed,
      failed: this.#counts.failed,
      crashes: this.#counts.crashes,
      interrupted: 0,
      moved: 0,
      timeouts: this.#counts.timeouts,
      workersStarted: nodes.length,
      redeliveries: this.#counts.redeliveries,
      duplicateResults: this.#counts.duplicateResults,
      deliveryLimited: this.#counts.deliveryLimited,
      slowestRedeliveryMs: this.#counts.slowestRedeliveryMs,
      nodes: Object.freeze(nodes),
    });
  }
}

interface Connected {
  readonly connection: NatsConnection;
  readonly js: JetStreamClient;
  /** Made once: making one asks the server whether JetStream is there, a request each time. */
  readonly manager: JetStreamManager;
  readonly results: ConsumerMessages;
  readonly consumerDelete: () => Promise<boolean>;
  readonly subscriptions: readonly Subscription[];
}

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}
