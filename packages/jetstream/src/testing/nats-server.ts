/**
 * `@poolstream/jetstream/testing`: a real `nats-server` with JetStream for
 * tests, started on a free loopback port with its store in a temporary
 * directory, and stopped, the directory removed, by `stop()`. Needs Debian's
 * `nats-server` (or one on the PATH).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running server, and how to stop it. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Clients connected now, from the server's monitoring endpoint. */
  connections(): Promise<number>;
  /** The server process's id (for measuring its CPU time); undefined while stopped. */
  pid(): number | undefined;
  stop(): Promise<void>;
  /** Stops it and starts it again on the same port and store. */
  restart(): Promise<void>;
}

/** A port nobody listens on now. */
function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

function natsServerBinary(): string {
  const found = Bun.which("nats-server") ?? Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/bin:/usr/bin" });
  if (found === null) {
    throw new Error(
      "nats-server is not installed: the JetStream tests need it (Debian/Ubuntu: apt-get install nats-server)",
    );
  }
  return found;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port} within ${ms} ms: ${error}`);
      await Bun.sleep(20);
    }
  }
}

/** Starts a server with JetStream and resolves once it accepts connections (within 10 s). */
export async function startNatsServer(): Promise<NatsServer> {
  const binary = natsServerBinary();
  const dir = mkdtempSync(join(tmpdir(), "poolstream-nats-"));
  const port = freePort();
  const monitor = freePort();
  let running: ReturnType<typeof Bun.spawn> | undefined;
  const start = async () => {
    running = Bun.spawn([binary, "-a", "127.0.0.1", "-p", String(port), "-m", String(monitor), "-js", "-sd", dir], {
      stdout: "ignore",
      stderr: "ignore",
    });
    await waitForPort(port, 10_000);
  };
  const halt = async () => {
    running?.kill("SIGTERM");
    await running?.exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: () => (running === undefined || running.killed || running.exitCode !== null ? undefined : running.pid),
    async connections() {
      const response = await fetch(`http://127.0.0.1:${monitor}/connz`);
      return ((await response.json()) as { num_connections: number }).num_connections;
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await halt();
      await start();
    },
  };
}
