/** `bun run worker` as a person meets it: help, bad flags, a server that is not there, and Ctrl-C. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const script = join(import.meta.dir, "../src/worker.ts");

function runSync(args: readonly string[]) {
  const child = Bun.spawnSync(["bun", script, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 20_000,
    killSignal: "SIGKILL",
  });
  return { code: child.exitCode, stdout: child.stdout.toString(), stderr: child.stderr.toString() };
}

describe("bun run worker", () => {
  test("--help exits 0 and lists the flags; a bad flag or server is one line and exit 2", () => {
    const help = runSync(["--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--server", "--workers", "--slots", "--prefix", "--name"]) expect(help.stdout).toContain(flag);
    for (const bad of [
      ["--bogus"],
      ["--workers", "0"],
      ["--server", "http://127.0.0.1:4222"],
      ["--prefix", "Bad Prefix"],
    ]) {
      const run = runSync(bad);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toStartWith("bun run worker:");
    }
  });

  test("a server that is not there: one line per attempt, no stack trace; SIGTERM ends it with its report, exit 143", async () => {
    // A port nobody listens on.
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    const child = Bun.spawn(["bun", script, "--server", `nats://127.0.0.1:${port}`], {
      stdout: "pipe",
      stderr: "pipe",
    });
    await Bun.sleep(2_500);
    child.kill("SIGTERM");
    const [out, err, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    expect(code).toBe(143);
    expect(out).toMatch(/cannot reach nats:\/\/127\.0\.0\.1:\d+ \(.*\); trying again in/);
    expect(out.match(/cannot reach/g)?.length).toBeGreaterThanOrEqual(2);
    expect(out).toContain("batches answered");
    expect(`${out}${err}`).not.toMatch(/\n\s+at /); // no stack trace
  }, 30_000);
});
