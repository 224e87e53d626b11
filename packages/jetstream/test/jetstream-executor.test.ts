/**
 * The JetStream executor and worker nodes against a real nats-server
 * (started by the test on a free loopback port with a temporary store, and
 * stopped). Nodes here run in this process on an in-process executor, except
 * where a node must die, which is a child process.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  allocateColumnarBatch,
  DeliveryLimitError,
  type Executor,
  InProcessExecutor,
  InvalidArgumentError,
  MalformedMessageError,
  PoolClosedError,
  TaskFailedError,
  TaskTimeoutError,
} from "@poolstream/core";
import { JetStreamExecutor } from "../src/jetstream-executor.ts";
import { type NatsServer, startNatsServer } from "../src/testing/nats-server.ts";
import { WorkerNode } from "../src/worker-node.ts";
import { busyFor, doubleColumns, echoRecords, killNode, rejectNegatives, sleepFor } from "./fixtures/remote-kernels.ts";

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
const children = new Set<Bun.Subprocess>();
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await server.stop();
});

let prefixes = 0;
/** Each test its own prefix: its own streams and consumers. */
const nextPrefix = (): string => `t${++prefixes}`;

function node(prefix: string, options: { slots?: number; name?: string } = {}): WorkerNode {
  return new WorkerNode({
    url: server.url,
    prefix,
    executor: new InProcessExecutor({ capacity: options.slots ?? 2 }),
    ...options,
  });
}

describe("JetStreamExecutor with worker nodes and a real nats-server", () => {
  test("columnar and object batches come back computed; values JSON would alter are kept", async () => {
    const prefix = nextPrefix();
    const worker = node(prefix, { name: "n1" });
    void worker.run();
    await using executor = new JetStreamExecutor({ url: server.url, prefix, ackWaitMs: 2_000 });
    const batch = allocateColumnarBatch(1_000);
    for (let i = 0; i < 1_000; i++) batch.value[i] = i / 4;
    const [doubled, echoed] = await Promise.all([
      executor.run(doubleColumns, batch),
      executor.run(echoRecords, [{ value: Number.NaN, at: -0, far: Number.POSITIVE_INFINITY, tags: new Set(["a"]) }]),
    ]);
    expect(doubled).toBeInstanceOf(Float64Array);
    expect(doubled[999]).toBe(499.5);
    expect(doubled.length).toBe(1_000);
    const [record] = echoed.records as [{ value: number; at: number; far: number; tags: Set<string> }];
    expect(echoed.count).toBe(1);
    expect(Number.isNaN(record.value)).toBe(true);
    expect(Object.is(record.at, -0)).toBe(true);
    expect(record.far).toBe(Number.POSITIVE_INFINITY);
    expect(record.tags).toEqual(new Set(["a"]));
    const stats = executor.stats();
    expect(stats.completed).toBe(2);
    expect(stats.nodes.find((n) => n.node === "n1")?.batches).toBe(2);
    await worker.stop();
    expect(worker.stats()).toMatchObject({ answered: 2, failed: 0, running: 0 });
  }, 30_000);

  test("a kernel that throws fails its batch with TaskFailedError carrying the remote error", async () => {
    const prefix = nextPrefix();
    const worker = node(prefix);
    void worker.run();
    await using executor = new JetStreamExecutor({ url: server.url, prefix });
    const outcomes = await Promise.allSettled([
      executor.run(rejectNegatives, [1, -2]),
      executor.run(rejectNegatives, [1, 2]),
    ]);
    expect(outcomes[0].status).toBe("rejected");
    const error = (outcomes[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).remoteName).toBe("RangeError");
    expect((error as Error).message).toContain("negative reading -2");
    expect(outcomes[1]).toEqual({ status: "fulfilled", value: [2, 3] });
    await worker.stop();
  }, 30_000);

  test("CRITICAL batches overtake a NORMAL backlog held in the stream", async () => {
    const prefix = nextPrefix();
    await using executor = new JetStreamExecutor({ url: server.url, prefix });
    await executor.ready();
    const order: string[] = [];
    const normal = Array.from({ length: 20 }, (_, i) => executor.run(busyFor, 20).then(() => order.push(`n${i}`)));
    // Stored before any node is there: the backlog waits in the stream.
    while ((await streamMessages(prefix)) < 20) await Bun.sleep(20);
    const urgent = executor.run(busyFor, 1, { priority: "urgent" }).then(() => order.push("CRITICAL"));
    while ((await streamMessages(prefix)) < 21) await Bun.sleep(20);
    const worker = node(prefix, { slots: 1 });
    void worker.run();
    await Promise.all([...normal, urgent]);
    expect(order.indexOf("CRITICAL")).toBe(0);
    await worker.stop();
  }, 30_000);

  test("bad messages on the work subjects go to the dead-letter subject with the reason; the node goes on", async () => {
    const prefix = nextPrefix();
    const worker = node(prefix);
    void worker.run();
    await using executor = new JetStreamExecutor({ url: server.url, prefix });
    await executor.ready();
    const client = await connect({ servers: server.url });
    client.publish(`${prefix}.work.normal`, "not a batch at all");
    // A batch of an executor, but truncated: the executor hears of it as a typed error.
    const missing = executor.run(
      Object.assign(() => 0, { kernel: { module: "file:///nowhere/kernels.ts", exportName: "gone" } }) as never,
      [1],
    );
    await expect(missing).rejects.toBeInstanceOf(MalformedMessageError);
    await expect(missing).rejects.toThrow(/unknown kernel file:\/\/\/nowhere\/kernels.ts#gone/);
    // And it still computes good batches.
    expect(await executor.run(rejectNegatives, [5])).toEqual([6]);
    const manager = await jetstreamManager(client);
    const deadStream = `${prefix.toUpperCase()}_DEAD`;
    expect((await manager.streams.info(deadStream)).state.messages).toBe(2);
    const reasons: string[] = [];
    for (const seq of [1, 2]) {
      const letter = await manager.streams.getMessage(deadStream, { seq });
      reasons.push(letter?.header.get("Poolstream-Reason") ?? "");
    }
    expect(reasons.some((reason) => reason.startsWith("not a batch"))).toBe(true);
    expect(reasons.some((reason) => reason.startsWith("unknown kernel file:///nowhere/kernels.ts#gone"))).toBe(true);
    await client.close();
    await worker.stop();
    expect(worker.stats().deadLettered).toBe(2);
  }, 30_000);

  test("no node: batches wait in the stream until their deadline, then fail with TaskTimeoutError and are withdrawn", async () => {
    const prefix = nextPrefix();
    await using executor = new JetStreamExecutor({ url: server.url, prefix, taskTimeoutMs: 300 });
    const waiting = executor.run(rejectNegatives, [1]);
    await expect(waiting).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(executor.stats()).toMatchObject({ workers: 0, timeouts: 1, inFlight: 0 });
    await Bun.sleep(200);
    expect(await streamMessages(prefix)).toBe(0);
  }, 30_000);

  test("a bad timeout is a rejected promise, not a throw", async () => {
    await using executor = new JetStreamExecutor({ url: server.url, prefix: nextPrefix() });
    const run = (() => {
      try {
        return executor.run(rejectNegatives, [1], { timeoutMs: -1 });
      } catch (error) {
        return error;
      }
    })();
    expect(run).toBeInstanceOf(Promise);
    await expect(run as Promise<unknown>).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  test("a server without JetStream: setup is tried again, a batch fails at its deadline, close does not wait", async () => {
    const port = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const free = port.port;
    port.stop(true);
    const plain = Bun.spawn(["nats-server", "-a", "127.0.0.1", "-p", String(free)], {
      stdout: "ignore",
      stderr: "ignore",
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` },
    });
    children.add(plain);
    try {
      // Listening first: the test is about the setup, not about reaching the server.
      for (let tries = 0; ; tries++) {
        try {
          (await Bun.connect({ hostname: "127.0.0.1", port: free, socket: { data() {} } })).end();
          break;
        } catch (error) {
          if (tries > 200) throw error;
          await Bun.sleep(25);
        }
      }
      const lines: string[] = [];
      const executor = new JetStreamExecutor({
        url: `nats://127.0.0.1:${free}`,
        prefix: nextPrefix(),
        taskTimeoutMs: 800,
        log: (line) => lines.push(line),
      });
      await expect(executor.run(rejectNegatives, [1])).rejects.toBeInstanceOf(TaskTimeoutError);
      expect(lines.some((line) => line.startsWith("cannot set up the work streams"))).toBe(true);
      const pending = executor.run(rejectNegatives, [2], { timeoutMs: 60_000 });
      const started = performance.now();
      await executor.close();
      await expect(pending).rejects.toBeInstanceOf(PoolClosedError);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      plain.kill();
      await plain.exited;
    }
  }, 30_000);

  test("a node computes at most its slots at once, even when a pull still open brings one more", async () => {
    const prefix = nextPrefix();
    const local = new InProcessExecutor({ capacity: 1 });
    let running = 0;
    let most = 0;
    // The node's local executor, counting how many batches it computes at once.
    const counting: Executor = {
      capacity: 1,
      run: async (kernel, input, options) => {
        running++;
        most = Math.max(most, running);
        try {
          return await local.run(kernel, input, options);
        } finally {
          running--;
        }
      },
      close: () => local.close(),
      stats: () => local.stats(),
      [Symbol.asyncDispose]: () => local.close(),
    };
    const worker = new WorkerNode({ url: server.url, prefix, executor: counting, slots: 1 });
    void worker.run();
    await using executor = new JetStreamExecutor({ url: server.url, prefix });
    await executor.ready();
    await Bun.sleep(300); // the node is idle: a pull open on each subject
    const urgent = executor.run(sleepFor, 150, { priority: "urgent" });
    await Bun.sleep(30);
    const normal = executor.run(sleepFor, 10);
    await Promise.all([urgent, normal]);
    expect(most).toBe(1);
    await worker.stop();
  }, 30_000);

  test("a node whose open pull expired unused goes on pulling (it does not wait for a slot nobody frees)", async () => {
    const prefix = nextPrefix();
    const worker = node(prefix, { slots: 1 });
    void worker.run();
    await using executor = new JetStreamExecutor({ url: server.url, prefix, taskTimeoutMs: 10_000 });
    await executor.ready();
    await Bun.sleep(300); // idle: a pull open on each subject
    // The CRITICAL pull brings this one; the NORMAL pull stays open, counted as pending, until it expires.
    expect(await executor.run(rejectNegatives, [1], { priority: "urgent" })).toEqual([2]);
    await Bun.sleep(3_500); // past the open pull's expiry and its slack
    expect(await executor.run(rejectNegatives, [2])).toEqual([3]);
    await worker.stop();
  }, 30_000);

  test("stopping a node whose server is gone ends within an ack wait or so; the batch it held is not acknowledged", async () => {
    const own = await startNatsServer();
    try {
      const prefix = nextPrefix();
      const worker = new WorkerNode({ url: own.url, prefix, executor: new InProcessExecutor(), slots: 1 });
      void worker.run();
      const executor = new JetStreamExecutor({ url: own.url, prefix, ackWaitMs: 1_000, closeTimeoutMs: 500 });
      const held = executor.run(sleepFor, 1_500).catch((error: unknown) => error);
      while (worker.stats().running === 0) await Bun.sleep(20);
      await own.stop();
      const stopping = performance.now();
      await worker.stop();
      expect(performance.now() - stopping).toBeLessThan(10_000);
      expect(worker.stats().answered).toBe(0);
      await executor.close();
      expect(await held).toBeInstanceOf(PoolClosedError);
    } finally {
      await own.stop();
    }
  }, 30_000);

  test("options are checked; close is idempotent and refuses later batches", async () => {
    for (const bad of [
      { url: "http://x" },
      { url: server.url, capacity: 0 },
      { url: server.url, ackWaitMs: Number.NaN },
      { url: server.url, ackWaitMs: 2 ** 31 },
      { url: server.url, taskTimeoutMs: -1 },
      { url: server.url, maxDeliver: 1.5 },
      { url: server.url, prefix: "Bad Prefix" },
    ]) {
      expect(() => new JetStreamExecutor(bad)).toThrow(InvalidArgumentError);
    }
    const executor = new JetStreamExecutor({ url: server.url, prefix: nextPrefix() });
    await executor.close();
    await executor.close();
    await expect(executor.run(rejectNegatives, [1])).rejects.toBeInstanceOf(PoolClosedError);
  });
});

async function streamMessages(prefix: string): Promise<number> {
  const client = await connect({ servers: server.url });
  try {
    const manager = await jetstreamManager(client);
    return (await manager.streams.info(`${prefix.toUpperCase()}_WORK`)).state.messages;
  } finally {
    await client.close();
  }
}

interface NodeProcess {
  readonly child: Bun.Subprocess<"ignore", "pipe", "inherit">;
  /** Everything it printed after "ready", once it has ended. */
  readonly output: Promise<string>;
}

/** A node in a child process; resolves once it is pulling work. */
async function nodeProcess(prefix: string, name: string, slots = 2): Promise<NodeProcess> {
  const script = new URL("./fixtures/node.ts", import.meta.url).pathname;
  const child = Bun.spawn(["bun", script, server.url, prefix, name, String(slots)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  children.add(child);
  const reader = child.stdout.getReader();
  await reader.read();
  const output = (async () => {
    let text = "";
    for (let next = await reader.read(); !next.done; next = await reader.read())
      text += new TextDecoder().decode(next.value);
    return text;
  })();
  return { child, output };
}

describe("worker nodes that die, and a server that restarts", () => {
  test("a node killed with SIGKILL mid-run: its batches go to the other node after the ack wait; each settles once", async () => {
    const prefix = nextPrefix();
    const first = await nodeProcess(prefix, "doomed", 4);
    await using executor = new JetStreamExecutor({ url: server.url, prefix, ackWaitMs: 1_000, capacity: 8 });
    // The doomed node alone takes four long batches (waits, not CPU: it takes all four at once): when it
    // dies it holds them for sure (the server says so).
    const held = Array.from({ length: 4 }, () => executor.run(sleepFor, 2_000));
    const client = await connect({ servers: server.url });
    const manager = await jetstreamManager(client);
    const unacknowledged = async () =>
      (await manager.consumers.info(`${prefix.toUpperCase()}_WORK`, `${prefix}-normal`)).num_ack_pending;
    while ((await unacknowledged()) < 4) await Bun.sleep(20);
    await client.close();
    const second = await nodeProcess(prefix, "survivor", 4);
    const settled = new Map<number, number>();
    const runs = Array.from({ length: 120 }, (_, i) =>
      executor.run(busyFor, 25).then((ms) => {
        settled.set(i, (settled.get(i) ?? 0) + 1);
        return ms;
      }),
    );
    // Killed while both nodes are in the flow.
    const answered = (name: string) => executor.stats().nodes.find((n) => n.node === name)?.batches ?? 0;
    while (answered("survivor") < 2) await Bun.sleep(10);
    first.child.kill("SIGKILL");
    const killedAt = performance.now();
    await first.child.exited;
    const outputs = await Promise.all(runs);
    expect(await Promise.all(held)).toEqual([2_000, 2_000, 2_000, 2_000]);
    const recoveryMs = performance.now() - killedAt;
    expect(outputs).toEqual(new Array(120).fill(25));
    expect([...settled.values()].every((times) => times === 1)).toBe(true);
    expect(settled.size).toBe(120);
    const stats = executor.stats();
    console.log(
      `jetstream node kill: ${stats.redeliveries} batches redelivered, slowest ${Math.round(stats.slowestRedeliveryMs)} ms from publish to result; all done ${Math.round(recoveryMs)} ms after the kill`,
    );
    second.child.kill("SIGTERM");
    expect(await second.child.exited).toBe(0);
    // The survivor took what the dead node held, delivered again (a batch whose result the dead node had
    // already stored is answered from that result and counts as a duplicate, not a redelivery, here).
    const survivorStats = JSON.parse((await second.output).trim().split("\n").at(-1) ?? "{}") as {
      redelivered: number;
    };
    expect(survivorStats.redelivered).toBeGreaterThan(0);
    expect(stats.nodes.find((n) => n.node === "survivor")?.redeliveries).toBe(stats.redeliveries);
    // Redelivered within the ack wait and some slack: bounded, not the batch's deadline.
    expect(stats.slowestRedeliveryMs).toBeLessThan(10_000);
  }, 60_000);

  test("a poison batch that kills every node taking it: failed with DeliveryLimitError after maxDeliver; the rest flow", async () => {
    const prefix = nextPrefix();
    await using executor = new JetStreamExecutor({ url: server.url, prefix, ackWaitMs: 500, maxDeliver: 2 });
    await executor.ready();
    let deaths = 0;
    let stop = false;
    // A supervisor: a node that dies is replaced, as a deployment would do.
    const supervise = async (name: string): Promise<void> => {
      while (!stop) {
        const { child } = await nodeProcess(prefix, name);
        const code = await child.exited;
        if (code !== 0) deaths++;
      }
    };
    const supervisors = [supervise("p1"), supervise("p2")];
    const poison = executor.run(killNode, 0);
    const good = Array.from({ length: 30 }, (_, i) => executor.run(rejectNegatives, [i]));
    const error = await poison.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeliveryLimitError);
    expect((error as DeliveryLimitError).deliveries).toBe(2);
    expect(await Promise.all(good)).toEqual(Array.from({ length: 30 }, (_, i) => [i + 1]));
    expect(deaths).toBe(2);
    expect(executor.stats().deliveryLimited).toBe(1);
    stop = true;
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(supervisors);
  }, 60_000);

  test("the server restarted mid-run: executor and node reconnect and every batch settles once", async () => {
    const prefix = nextPrefix();
    const worker = node(prefix, { slots: 2 });
    void worker.run();
    await using executor = new JetStreamExecutor({ url: server.url, prefix, ackWaitMs: 1_000 });
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => executor.run(rejectNegatives, [i])));
    expect(first).toHaveLength(20);
    const during = Array.from({ length: 40 }, (_, i) => executor.run(busyFor, 10).then(() => i));
    await Bun.sleep(100);
    await server.restart();
    expect((await Promise.all(during)).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await executor.run(rejectNegatives, [41])).toEqual([42]);
    await worker.stop();
  }, 60_000);

  test("clean shutdown leaves no connection and no consumer of its own behind", async () => {
    const prefix = nextPrefix();
    // The earlier tests' clients are closed; the server may take a moment to drop them from its count.
    let before = await server.connections();
    for (let i = 0; i < 100 && before > 0; i++) {
      await Bun.sleep(50);
      before = await server.connections();
    }
    const worker = node(prefix);
    void worker.run();
    const executor = new JetStreamExecutor({ url: server.url, prefix });
    expect(await executor.run(rejectNegatives, [1])).toEqual([2]);
    expect(await server.connections()).toBe(before + 2);
    await executor.close();
    await worker.stop();
    let after = await server.connections();
    for (let i = 0; i < 100 && after > before; i++) {
      await Bun.sleep(50);
      after = await server.connections();
    }
    expect(after).toBe(before);
    const client = await connect({ servers: server.url });
    const manager = await jetstreamManager(client);
    // The results stream keeps no consumer once its executor has closed; the work stream keeps its two shared ones.
    expect((await manager.streams.info(`${prefix.toUpperCase()}_RESULTS`)).state.consumer_count).toBe(0);
    expect((await manager.streams.info(`${prefix.toUpperCase()}_WORK`)).state.consumer_count).toBe(2);
    await client.close();
  }, 30_000);
});
