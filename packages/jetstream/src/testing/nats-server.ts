/**
 * `@poolstream/jetstream/testing`: a real `nats-server` with JetStream for
 * tests, started on a free loopback port with its store in a temporary
 * directory, and stopped, the directory removed, by `stop()`. Needs Debian's
 * `nats-server` (or one on the PATH).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, serverListens } from "@poolstream/core/testing";

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

function natsServerBinary(): string {
  const found = Bun.which("nats-server") ?? Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/bin:/usr/bin" });
  if (found === null) {
    throw new Error(
      "nats-server is not installed: the JetStream tests need it (Debian/Ubuntu: apt-get install nats-server)",
    );
  }
  return found;
}

/** Starts a server with JetStream and resolves once it accepts connections (within 10 s). */
export async function startNatsServer(): Promise<NatsServer> {
  const binary = natsServerBinary();
  const dir = mkdtempSync(join(tmpdir(), "poolstream-nats-"));
  let port = 0;
  let monitor = 0;
  let running: ReturnType<typeof Bun.spawn> | undefined;
  /** Starts the server on the chosen ports; false when it exited (a port was taken meanwhile). */
  const start = async (): Promise<boolean> => {
    running = Bun.spawn([binary, "-a", "127.0.0.1", "-p", String(port), "-m", String(monitor), "-js", "-sd", dir], {
      stdout: "ignore",
      stderr: "ignore",
    });
    return serverListens(running, [port, monitor], 10_000);
  };
  const halt = async () => {
    running?.kill("SIGTERM");
    await running?.exited;
  };
  for (let attempt = 1; ; attempt++) {
    port = freePort();
    monitor = freePort();
    if (await start()) break;
    if (attempt === 5) throw new Error("nats-server could not bind free ports in 5 attempts");
  }
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
      // The same ports, as a restarted server has: tried again while something else holds one for a moment.
      for (let attempt = 1; !(await start()); attempt++) {
        if (attempt === 5) throw new Error(`nats-server could not bind its port ${port} again`);
        await Bun.sleep(200);
      }
    },
  };
}
