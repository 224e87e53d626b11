/**
 * The programs as a person runs them in a terminal: `bun run <program>`
 * under a pseudo-terminal (`script`), where Ctrl-C reaches both the `bun run`
 * wrapper and the program, and the wrapper forwards its copy too. Ctrl-C
 * once, or twice quickly, drains and prints the report, exit 130; SIGTERM
 * prints the report, exit 143.
 */
import { describe, expect, test } from "bun:test";

const root = `${import.meta.dir}/../../..`;

/** Long enough to be interrupted mid-run; each prints its report's last line, matched by `done`. */
const PROGRAMS = [
  { name: "start", args: ["--duration", "60"], running: /\[start\] 1\.\d s/, done: /check: .* entered = .*: OK/ },
  { name: "priority", args: ["--duration", "60"], running: /\[priority\] 1\.\d s/, done: /check: .* entered = .*: OK/ },
  {
    name: "faults",
    args: ["--records", "5000000", "--dlq", ":memory:"],
    running: /\[faults\] \[/,
    done: /check: .*: OK/,
  },
  {
    name: "adaptive",
    args: ["--records", "3000000"],
    running: /\[adaptive\] warming up/,
    done: /interrupted: \d of 2 kernels adapted|light settled/,
  },
  { name: "adaptive:tally", args: ["--runs", "20"], running: /run 1\/20/, done: /runs of bun run adaptive/ },
  {
    name: "simulate",
    args: ["--to", "mqtt://127.0.0.1:9/sensors", "--duration", "60"],
    running: /\[simulate\] 1\.\d s/,
    done: /readings published/,
  },
  {
    name: "worker",
    args: ["--server", "nats://127.0.0.1:9"],
    running: /cannot reach nats:\/\/127\.0\.0\.1:9/,
    done: /batches answered/,
  },
] as const;

/** Reads `stream` into `into.text` until it ends. */
async function collect(stream: ReadableStream<Uint8Array>, into: { text: string }): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) into.text += decoder.decode(chunk, { stream: true });
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(50);
  }
  return true;
}

/**
 * Reads the child's output into `out.text` and resolves once `running` shows in it (the program is under
 * way), a moment later; `finished` resolves with the exit code once the output has ended too.
 */
async function whenRunning(
  child: Bun.Subprocess<"pipe" | "ignore", "pipe", "pipe">,
  running: RegExp,
): Promise<{ readonly out: { text: string }; readonly finished: Promise<number> }> {
  const out = { text: "" };
  const reading = Promise.all([collect(child.stdout, out), collect(child.stderr, out)]);
  expect(await until(() => running.test(out.text) && out.text.length > 0, 20_000)).toBe(true);
  await Bun.sleep(300);
  return { out, finished: reading.then(() => child.exited) };
}

describe("programs in a terminal", () => {
  for (const { name, args, running, done } of PROGRAMS) {
    for (const presses of [1, 2]) {
      test(`${name}: Ctrl-C ${presses === 1 ? "once" : "twice quickly"} drains, prints the report, exits 130`, async () => {
        // script gives the program a terminal; a ^C typed into it is the terminal's own interrupt.
        const child = Bun.spawn(["script", "-qefc", `bun run ${name} ${args.join(" ")}`, "/dev/null"], {
          cwd: root,
          stdin: "pipe",
          stdout: "pipe",
          stderr: "pipe",
        });
        const { out, finished } = await whenRunning(child, running);
        child.stdin.write(presses === 1 ? "\x03" : "\x03\x03");
        child.stdin.flush();
        const code = await finished;
        if (code !== 130 || !done.test(out.text)) console.log(out.text.slice(-2000));
        expect(code).toBe(130);
        expect(out.text).toMatch(/interrupted|SIGINT/);
        expect(out.text).toMatch(done);
      }, 60_000);
    }

    test(`${name}: SIGTERM drains, prints the report, exits 143`, async () => {
      const script =
        name === "worker" ? "apps/worker/src/worker.ts" : `apps/runner/src/programs/${name.replace(":", "-")}.ts`;
      const child = Bun.spawn(["bun", script, ...args], {
        cwd: root,
        stdout: "pipe",
        stderr: "pipe",
      });
      const { out, finished } = await whenRunning(child, running);
      child.kill("SIGTERM");
      const code = await finished;
      expect(code).toBe(143);
      expect(out.text).toMatch(/asked to stop \(SIGTERM\)|SIGTERM: taking no more batches/);
      expect(out.text).toMatch(done);
    }, 60_000);
  }
});
