/**
 * A worker node: pulls batches from the work stream, computes them on a local
 * executor (a `WorkerPool` of this machine's threads), publishes each result
 * to the executor that sent the batch, and only then acknowledges it. While a
 * batch runs, the node tells the server it is still working on it, so a slow
 * batch is not delivered to another node; a node that dies stops telling,
 * and its batches go to another node after the consumer's ack wait.
 *
 * CRITICAL work comes first: whenever a slot is free the node asks the
 * CRITICAL consumer for what is there now, and the NORMAL consumer only for
 * the slots left over, so a CRITICAL batch overtakes a NORMAL backlog held in
 * the stream. A node computes at most `slots` batches at once and holds at most
 * one more (see `#computeSlot`), so the rest of a backlog
 * stays in the stream for other nodes.
 *
 * A message it cannot read (not a batch, a truncated body, a kernel it cannot
 * find) is acknowledged off the work stream into the dead-letter subject with
 * the reason; when the message names its executor, the executor also gets
 * the failure, so the batch's records meet the pipeline's failure policy.
 */
import { hostname } from "node:os";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, type Msg, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import {
  type Executor,
  InvalidArgumentError,
  type Kernel,
  type KernelRef,
  MalformedMessageError,
  type TaskPriority,
} from "@poolstream/core";
import { closeConnection, connectWithRetry } from "./internal/connect-with-retry.ts";
import { Puller } from "./internal/puller.ts";
import { remoteFailureOf } from "./remote-outcome.ts";
import { decodeWireBody, encodeWireBody } from "./wire-body.ts";
import { deliveryInfoOf, ensureWorkTopology, Header, type WorkTopology, workTopology } from "./work-protocol.ts";

export interface WorkerNodeOptions {
  /** The server: `nats://host:port`. */
  readonly url: string;
  /** The same prefix as the executors it works for. Default "poolstream". */
  readonly prefix?: string;
  /** Computes the batches here: a `WorkerPool` normally. The node does not close it. */
  readonly executor: Executor;
  /** How the node is named in the executors' reports. Default `<hostname>-<pid>`. */
  readonly name?: string;
  /** Batches held at once. Default the executor's capacity. */
  readonly slots?: number;
  /** Finds a kernel by its address. Default: `(await import(module))[exportName]`. */
  readonly resolveKernel?: (ref: KernelRef) => Promise<Kernel<unknown, unknown>>;
  readonly log?: (line: string) => void;
}

/** A frozen snapshot of what a node has done. */
export interface WorkerNodeStats {
  readonly node: string;
  /** Batches computed and answered (with an output or a failure). */
  readonly answered: number;
  /** Of those, the ones whose kernel failed. */
  readonly failed: number;
  /** Batches it took on a second or later delivery (another node had lost them). */
  readonly redelivered: number;
  /** Messages it could not read, put on the dead-letter subject. */
  readonly deadLettered: number;
  /** Batches past their deadline when they arrived: acknowledged and not computed. */
  readonly expired: number;
  /** Batches held now. */
  readonly running: number;
}

/** How long an idle node's pull waits for work before it looks again. */
const IDLE_WAIT_MS = 1_000;
const PRESENCE_EVERY_MS = 1_000;
const DEFAULT_ACK_WAIT_MS = 5_000;
const DEFAULT_MAX_DELIVER = 5;

export class WorkerNode {
  readonly name: string;
  readonly topology: WorkTopology;
  readonly #options: WorkerNodeOptions;
  readonly #slots: number;
  readonly #log: (line: string) => void;
  readonly #kernels = new Map<string, Kernel<unknown, unknown>>();
  readonly #stop = new AbortController();
  readonly #held = new Set<Promise<void>>();
  #arrived: (() => void) | undefined;
  /** Ends an idle wait when the node stops (one listener for the node's life, not one per wait). */
  #stopWaiting: (() => void) | undefined;
  #stopRequestedAt = 0;
  /** Batches computing now, and those waiting for a slot to compute in. */
  #computing = 0;
  readonly #waitingToCompute: (() => void)[] = [];
  #slotFreed: (() => void) | undefined;
  #ackWaitMs = DEFAULT_ACK_WAIT_MS;
  #running: Promise<void> | undefined;
  #counts = { answered: 0, failed: 0, redelivered: 0, deadLettered: 0, expired: 0 };

  /** Throws `InvalidArgumentError` for a URL that is not NATS or options out of range. */
  constructor(options: WorkerNodeOptions) {
    if (typeof options?.url !== "string" || !/^nats:\/\/[^/\s]+$/.test(options.url)) {
      throw new InvalidArgumentError(`url must be nats://host:port, got ${JSON.stringify(options?.url)}`);
    }
    this.topology = workTopology(options.prefix);
    this.#slots = options.slots ?? options.executor.capacity;
    if (!Number.isInteger(this.#slots) || this.#slots < 1 || this.#slots > 10_000) {
      throw new InvalidArgumentError(`slots must be an integer from 1 to 10,000, got ${this.#slots}`);
    }
    this.name = options.name ?? `${hostname()}-${process.pid}`;
    if (!/^[\w.-]{1,64}$/.test(this.name)) {
      throw new InvalidArgumentError(
        `name must be 1 to 64 letters, digits, ., - or _, got ${JSON.stringify(this.name)}`,
      );
    }
    this.#options = options;
    this.#log = options.log ?? (() => {});
  }

  /** Connects (trying again until the server answers) and works until `stop()`; resolves once drained. */
  run(): Promise<void> {
    this.#running ??= this.#work();
    return this.#running;
  }

  /**
   * Stops taking batches, finishes and answers the ones it holds, says it is
   * leaving, and closes its connection. Resolves when that is done. Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#stop.signal.aborted) this.#stopRequestedAt = Date.now();
    this.#stop.abort();
    this.#slotFreed?.();
    this.#stopWaiting?.();
    await this.#running;
  }

  stats(): WorkerNodeStats {
    return Object.freeze({ node: this.name, ...this.#counts, running: this.#held.size });
  }

  async #work(): Promise<void> {
    let connection: NatsConnection;
    try {
      connection = await connectWithRetry({
        url: this.#options.url,
        name: `poolstream node ${this.name}`,
        log: this.#log,
        signal: this.#stop.signal,
      });
    } catch {
      return; // stopped before the server could be reached
    }
    let ticks = 0;
    let manager: JetStreamManager | undefined;
    const presence = setInterval(() => {
      this.#sayPresent(connection, false);
      // The executor owns the ack wait and may change it: read again now and then, so heartbeats keep up.
      if (++ticks % 5 === 0 && manager !== undefined) void this.#readAckWait(manager);
    }, PRESENCE_EVERY_MS);
    try {
      manager = await jetstreamManager(connection);
      await ensureWorkTopology(manager, this.topology, undefined, {
        ackWaitMs: DEFAULT_ACK_WAIT_MS,
        maxDeliver: DEFAULT_MAX_DELIVER,
      });
      await this.#readAckWait(manager);
      this.#sayPresent(connection, false);
      this.#log(`node ${this.name} ready: ${this.#slots} slots, ack wait ${this.#ackWaitMs} ms`);
      await this.#pullLoop(connection, jetstream(connection));
      await Promise.all(this.#held);
    } finally {
      clearInterval(presence);
      this.#sayPresent(connection, true);
      await closeConnection(connection);
    }
  }

  async #readAckWait(manager: JetStreamManager): Promise<void> {
    try {
      const info = await manager.consumers.info(this.topology.workStream, this.topology.normalConsumer);
      this.#ackWaitMs = Math.max(100, Math.round((info.config.ack_wait ?? DEFAULT_ACK_WAIT_MS * 1e6) / 1e6));
    } catch {
      // the server is away: the last figure stands
    }
  }

  async #pullLoop(connection: NatsConnection, js: JetStreamClient): Promise<void> {
    const { workStream, criticalConsumer, normalConsumer } = this.topology;
    // A request that ends frees what it counted as pending: the loop looks again (a server restart loses
    // requests, and without this a loop waiting on them would wait for a slot nobody frees).
    const puller = new Puller(
      connection,
      (message) => this.#take(js, message),
      () => this.#slotFreed?.(),
    );
    try {
      while (!this.#stop.signal.aborted) {
        // An open idle pull may still bring one batch beyond this; it waits for a compute slot (#computeSlot).
        // Counting it here instead would keep a slot empty for as long as an idle CRITICAL pull stays open.
        const free = this.#slots - this.#held.size;
        if (free <= 0) {
          await new Promise<void>((resolve) => {
            this.#slotFreed = resolve;
          });
          this.#slotFreed = undefined;
          continue;
        }
        // What CRITICAL work there is now, first; NORMAL work only for the slots left over.
        let got = await puller.pull(workStream, criticalConsumer, { batch: free });
        if (got < free && !this.#stop.signal.aborted) {
          got += await puller.pull(workStream, normalConsumer, { batch: free - got });
        }
        if (got === 0 && !this.#stop.signal.aborted) await this.#waitForWork(puller);
      }
    } finally {
      // Open requests may still bring batches (the server has them on their way): taken, then closed.
      await puller.settled();
      puller.close();
    }
  }

  /** Idle: one open pull on each subject; returns when a batch comes on either, or both expire, or stop. */
  async #waitForWork(puller: Puller): Promise<void> {
    const { workStream, criticalConsumer, normalConsumer } = this.topology;
    await new Promise<void>((resolve) => {
      let open = 2;
      const ended = (): void => {
        if (--open === 0) resolve();
      };
      this.#arrived = resolve;
      this.#stopWaiting = resolve;
      if (this.#stop.signal.aborted) resolve();
      for (const consumer of [criticalConsumer, normalConsumer]) {
        void puller.pull(workStream, consumer, { batch: 1, expiresMs: IDLE_WAIT_MS }).finally(ended);
      }
    });
    this.#arrived = undefined;
    this.#stopWaiting = undefined;
  }

  #take(js: JetStreamClient, message: Msg): void {
    this.#arrived?.();
    // The batch says its priority; the local pool runs urgent ones first.
    const priority: TaskPriority = message.headers?.get(Header.priority) === "urgent" ? "urgent" : "normal";
    const held = this.#handle(js, message, priority).finally(() => {
      this.#held.delete(held);
      this.#slotFreed?.();
    });
    this.#held.add(held);
  }

  async #handle(js: JetStreamClient, message: Msg, priority: TaskPriority): Promise<void> {
    // Copied now (a real copy: on a Node Buffer, slice() is a view): the client may reuse the bytes under
    // message.data once this turn of the event loop ends.
    const data = new Uint8Array(message.data);
    const delivery = deliveryInfoOf(message.reply);
    if (delivery !== undefined && delivery.deliveries > 1) this.#counts.redelivered++;
    // Still working on it: the server waits another ack wait before it gives it to another node.
    const heartbeat = setInterval(() => message.respond("+WPI"), Math.max(50, Math.floor(this.#ackWaitMs / 3)));
    /** Whether to acknowledge it: yes unless its result could not be stored (then it comes again). */
    let answered = true;
    try {
      const head = message.headers;
      const id = head?.get(Header.batch) ?? "";
      const kernelAddress = head?.get(Header.kernel) ?? "";
      const replyTo = head?.get(Header.replyTo) ?? "";
      if (id === "" || kernelAddress === "" || !replyTo.startsWith(`${this.topology.prefix}.results.`)) {
        await this.#deadLetter(js, message, data, "not a batch: it lacks a batch id, a kernel or a results subject");
        return;
      }
      const deadline = Number(head?.get(Header.deadline) || Number.POSITIVE_INFINITY);
      if (Date.now() >= deadline) {
        this.#counts.expired++; // its executor has failed it already
        return;
      }
      let outcome: { ok: true; output: unknown } | { ok: false; error: unknown };
      try {
        const input = decodeWireBody(data);
        const kernel = await this.#kernel(kernelAddress);
        await this.#computeSlot(priority);
        try {
          const remaining = deadline - Date.now();
          const output = await this.#options.executor.run(kernel, input, {
            priority,
            ...(Number.isFinite(remaining) ? { timeoutMs: Math.max(1, Math.round(remaining)) } : {}),
          });
          outcome = { ok: true, output };
        } finally {
          this.#releaseComputeSlot();
        }
      } catch (error) {
        if (error instanceof MalformedMessageError || error instanceof UnknownKernelError) {
          await this.#deadLetter(js, message, data, error.message);
        }
        outcome = { ok: false, error };
      }
      answered = await this.#answer(js, replyTo, id, delivery?.deliveries ?? 1, outcome);
    } finally {
      clearInterval(heartbeat);
      if (answered) message.respond("+ACK");
    }
  }

  /**
   * Waits for one of the `slots` that compute at once. A node holds at most its slots of batches, except
   * that an idle node keeps a pull open on each subject and the second may still bring one after the first
   * did: that batch waits here (its heartbeats going) until a slot frees, urgent ones first.
   */
  #computeSlot(priority: TaskPriority): Promise<void> {
    if (this.#computing < this.#slots) {
      this.#computing++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      if (priority === "urgent") this.#waitingToCompute.unshift(resolve);
      else this.#waitingToCompute.push(resolve);
    });
  }

  #releaseComputeSlot(): void {
    const next = this.#waitingToCompute.shift();
    if (next === undefined) this.#computing--;
    else next(); // the slot passes to the next batch as it is
  }

  async #answer(
    js: JetStreamClient,
    replyTo: string,
    id: string,
    deliveries: number,
    outcome: { ok: true; output: unknown } | { ok: false; error: unknown },
  ): Promise<boolean> {
    const head = headers();
    head.set(Header.batch, id);
    head.set(Header.node, this.name);
    head.set(Header.deliveries, String(deliveries));
    head.set(Header.status, outcome.ok ? "ok" : "error");
    let body: Uint8Array;
    if (outcome.ok) {
      body = encodeWireBody(outcome.output);
    } else {
      this.#counts.failed++;
      body = new TextEncoder().encode(JSON.stringify(remoteFailureOf(outcome.error)));
    }
    // Published before the batch is acknowledged, and stored before that: a node that dies in between
    // has the batch delivered again, and the result published twice is stored once (the same message id).
    for (let waitMs = 100; ; waitMs = Math.min(2_000, waitMs * 2)) {
      try {
        await js.publish(replyTo, body, { msgID: id, headers: head, timeout: 2_000 });
        this.#counts.answered++;
        return true;
      } catch (error) {
        // Stopping, with the server away for an ack wait: given up, not acknowledged, so the server
        // delivers the batch again to a node that can answer, and stop() does not wait for ever.
        if (this.#stop.signal.aborted && Date.now() - this.#stopRequestedAt > this.#ackWaitMs) {
          this.#log(
            `gave up the result of ${id} while stopping (${(error as Error).message}); it will be delivered again`,
          );
          return false;
        }
        this.#log(`could not publish the result of ${id} (${(error as Error).message}); trying again`);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  async #deadLetter(js: JetStreamClient, message: Msg, data: Uint8Array, reason: string): Promise<void> {
    this.#counts.deadLettered++;
    this.#log(`dead letter: a message on ${message.subject} ${reason}`);
    const head = headers();
    copyHeaders(message.headers, head);
    head.set(Header.reason, reason);
    head.set(Header.node, this.name);
    try {
      await js.publish(this.topology.deadSubject, data, { headers: head, timeout: 5_000 });
    } catch (error) {
      this.#log(`could not store the dead letter (${(error as Error).message})`);
    }
  }

  async #kernel(address: string): Promise<Kernel<unknown, unknown>> {
    const known = this.#kernels.get(address);
    if (known !== undefined) return known;
    const hash = address.lastIndexOf("#");
    const ref: KernelRef = { module: address.slice(0, hash), exportName: address.slice(hash + 1) };
    if (hash <= 0 || ref.exportName === "") throw new UnknownKernelError(address, "it is not <module>#<export>");
    let kernel: Kernel<unknown, unknown>;
    try {
      kernel = await (this.#options.resolveKernel ?? importKernel)(ref);
    } catch (error) {
      throw new UnknownKernelError(address, (error as Error).message);
    }
    this.#kernels.set(address, kernel);
    return kernel;
  }

  #sayPresent(connection: NatsConnection, leaving: boolean): void {
    if (connection.isClosed()) return;
    const said = { ...this.stats(), threads: this.#options.executor.stats().workers, leaving };
    try {
      connection.publish(this.topology.nodesSubject, JSON.stringify(said));
    } catch {
      // closing
    }
  }
}

/** A batch names a kernel this node cannot find: its module does not load here, or has no such export. */
class UnknownKernelError extends MalformedMessageError {
  constructor(address: string, why: string) {
    super(`unknown kernel ${address}: ${why}`);
  }
}

async function importKernel(ref: KernelRef): Promise<Kernel<unknown, unknown>> {
  const module = (await import(ref.module)) as Record<string, unknown>;
  const kernel = module[ref.exportName];
  if (typeof kernel !== "function" || (kernel as Partial<Kernel<unknown, unknown>>).kernel === undefined) {
    throw new Error(`${ref.module} has no kernel named ${ref.exportName}`);
  }
  return kernel as Kernel<unknown, unknown>;
}

function copyHeaders(from: MsgHdrs | undefined, to: MsgHdrs): void {
  if (from === undefined) return;
  for (const key of from.keys()) {
    if (key.startsWith("Poolstream-")) to.set(key, from.get(key));
  }
}
