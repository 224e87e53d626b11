import { afterEach, describe, expect, test } from "bun:test";
import { freePort, serverListens } from "./listening.ts";

const children: Bun.Subprocess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** A child that listens on `port` after `delayMs`, or exits with 1 when the port is taken. */
function listener(port: number, delayMs = 0): Bun.Subprocess {
  const script = `await Bun.sleep(${delayMs}); try { Bun.listen({ hostname: "127.0.0.1", port: ${port}, socket: { data() {} } }); } catch { process.exit(1); } setInterval(() => {}, 1000);`;
  const child = Bun.spawn(["bun", "-e", script], { stdout: "ignore", stderr: "ignore" });
  children.push(child);
  return child;
}

describe("serverListens", () => {
  test("true once the server itself listens on the port", async () => {
    const port = freePort();
    expect(await serverListens(listener(port, 100), [port], 10_000)).toBe(true);
  });

  test("false, not true, when another process holds the port: the answer on the port is not the server's", async () => {
    const port = freePort();
    const other = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    try {
      // Slow to give up: a connection to the port succeeds long before this child exits.
      const late = Bun.spawn(["bun", "-e", "setTimeout(() => process.exit(1), 600)"], { stdout: "ignore" });
      children.push(late);
      expect(await serverListens(late, [port], 10_000)).toBe(false);
    } finally {
      other.stop(true);
    }
  });

  test("every port must be the server's", async () => {
    const [a, b] = [freePort(), freePort()];
    const child = listener(a);
    await expect(serverListens(child, [a, b], 1_000)).rejects.toThrow(/did not listen/);
  });
});
