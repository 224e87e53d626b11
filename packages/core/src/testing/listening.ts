/**
 * `@poolstream/core/testing`: starting a server process (Mosquitto,
 * nats-server) on a free loopback port for a test. A port picked free can be
 * taken by another process (tests of other packages run beside these) before
 * the server binds it: the server then exits, and a connection to the port
 * may even reach that other process, whose server later goes away. So a
 * server counts as listening only when the listening socket is its own.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";

/** A port nobody listens on now. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

/**
 * Resolves true once `server` itself listens on every port of `ports`, false
 * when it exits first (a port was taken: try others); throws after `ms`.
 * Reads the sockets from /proc; where there is none, a port that accepts a
 * connection while the server is still running 200 ms later counts.
 */
export async function serverListens(server: Bun.Subprocess, ports: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  const procfs = existsSync("/proc/net/tcp");
  for (;;) {
    if (server.exitCode !== null) return false;
    if (procfs ? ownsListeners(server.pid, ports) : await accepts(ports)) {
      if (procfs) return true;
      await Bun.sleep(200);
      return server.exitCode === null;
    }
    if (Date.now() > deadline) throw new Error(`${server.pid} did not listen on ${ports.join(", ")} within ${ms} ms`);
    await Bun.sleep(20);
  }
}

/** True when process `pid` holds a socket listening on each of `ports`. */
function ownsListeners(pid: number, ports: readonly number[]): boolean {
  let owned: Set<string>;
  try {
    owned = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => safeReadlink(`/proc/${pid}/fd/${fd}`)));
  } catch {
    return false; // gone meanwhile
  }
  return ports.every((port) => listeningInodes(port).some((inode) => owned.has(`socket:[${inode}]`)));
}

/** Inodes of the sockets listening on `port` (any address, IPv4 or IPv6). */
function listeningInodes(port: number): string[] {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local address, state (0A: LISTEN), inode
      if (fields[1]?.endsWith(suffix) && fields[3] === "0A" && fields[9] !== undefined) inodes.push(fields[9]);
    }
  }
  return inodes;
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
}

async function accepts(ports: readonly number[]): Promise<boolean> {
  for (const port of ports) {
    try {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
    } catch {
      return false;
    }
  }
  return true;
}
