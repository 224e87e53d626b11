import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";

const runnerDir = `${import.meta.dir}/..`;
function run(program: string, args: string[]) {
  // Bounded: a program that hangs fails its test instead of blocking the runner (SIGTERM would only drain it).
  const child = Bun.spawnSync(["bun", `src/programs/${program}.ts`, ...args], {
    cwd: runnerDir,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000,
    killSignal: "SIGKILL",
  });
  return { exitCode: child.exitCode, stdout: child.stdout.toString(), stderr: child.stderr.toString() };
}

/** Pids whose parent is `pid`, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The fields after the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function isAlive(pid: number): boolean {
  try {
    // A zombie still answers signal 0; its state in /proc says it has ended.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe("the runner's programs, end to end", () => {
  test("faults: the report accounts for every record, and exits 0", () => {
    const { exitCode, stdout } = run("faults", [
      "--records",
      "300",
      "--crash-rate",
      "0.3",
      "--dlq",
      ":memory:",
      "--seed",
      "5",
    ]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(
      /check: 300 entered = \d+ results \+ \d+ error records \+ \d+ poison pills \+ \d+ dead letters: OK/,
    );
    expect(stdout).toMatch(/crashed calls \(main \/ recovery\) \.+ [1-9]/);
    expect(stdout).toMatch(/replay successes \.+ [1-9]/);
  }, 60_000);

  test("start: every capability at once prints one report with per-lane latency, sizes and the accounting line", () => {
    const { exitCode, stdout } = run("start", [
      "--duration",
      "1",
      "--lanes",
      "priority",
      "--batch-size",
      "auto",
      "--on-failure",
      "dead-letter",
      "--dlq",
      ":memory:",
      "--crash-rate",
      "0.1",
      "--interval",
      "0.005",
    ]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^CRITICAL +[\d,]+ /m);
    expect(stdout).toMatch(/^NORMAL +[\d,]+ /m);
    expect(stdout).toContain("batch size over time:");
    expect(stdout).toMatch(/check: [\d,]+ entered = [\d,]+ results .*: OK/);
    expect(stdout.match(/=== poolstream: final report ===/g)).toHaveLength(1);
  }, 60_000);

  test("start: a bad choice or batch size is a one-line usage error with exit code 2", () => {
    for (const args of [
      ["--lanes", "lifo"],
      ["--batch-size", "0"],
      ["--batch-size", "big"],
      ["--on-failure", "x"],
    ]) {
      const bad = run("start", args);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    }
  }, 30_000);

  test("priority: both lanes are reported and every ingested record is processed", () => {
    const { exitCode, stdout } = run("priority", ["--duration", "1", "--work", "2000"]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/CRITICAL processed \.+ [1-9]/);
    expect(stdout).toMatch(/check: [\d,]+ entered = [\d,]+ results .*: OK/);
  }, 60_000);

  test("adaptive: prints a chart and a final size for both kernels", () => {
    const { exitCode, stdout } = run("adaptive", ["--records", "3000"]);
    expect(exitCode).toBe(0);
    expect(stdout.match(/size it settled on \(the sizer.s pick for the next batch\) \.+ \d+/g)).toHaveLength(2);
    expect(stdout).toContain("batches 0-");
    expect(stdout).toMatch(/light settled at \d+, heavy at \d+/);
  }, 60_000);

  test("a program ends when the `bun run` wrapper that started it is killed with SIGKILL", async () => {
    const wrapper = Bun.spawn(["bun", "run", "start", "--duration", "60"], {
      cwd: `${runnerDir}/../..`,
      stdout: "pipe",
      stderr: "ignore",
    });
    // Killed once the program is running (it has printed its first line), as a person would: killed
    // earlier, before the program has read who its parent is, it would take init for its parent.
    await wrapper.stdout.getReader().read();
    const program = childrenOf(wrapper.pid)[0];
    expect(program).toBeDefined();
    wrapper.kill("SIGKILL");
    await wrapper.exited;
    // It checks for its parent four times a second; 10 s is generous.
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await Bun.sleep(100);
      alive = isAlive(program as number);
    }
    if (alive) process.kill(program as number, "SIGKILL");
    expect(alive).toBe(false);
  }, 30_000);

  test("adaptive:tally: runs the exercise in fresh processes and tallies what they printed", () => {
    const { exitCode, stdout } = run("adaptive-tally", ["--runs", "2"]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/light above heavy \.+ [0-2] of 2/);
    const light = /light's final sizes \.+ (.+)/.exec(stdout)?.[1] ?? "";
    // Each size with its count of runs; the counts add up to the runs.
    const counts = [...light.matchAll(/\d+ ×(\d+)/g)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
  }, 60_000);

  for (const [program, command] of [
    ["start", "start"],
    ["adaptive", "adaptive"],
    ["adaptive-tally", "adaptive:tally"],
    ["priority", "priority"],
    ["faults", "faults"],
    ["chaos", "chaos"],
    ["query", "query"],
    ["simulate", "simulate"],
  ] as const) {
    test(`${command}: --help exits 0; a bad flag exits 2 with one line`, () => {
      const help = run(program, ["--help"]);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain(`Usage: bun run ${command}`);
      const bad = run(program, ["--no-such-flag"]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    }, 30_000);
  }

  test("start --input: a missing file, a bad mapping, a bad output or format is one line and exit 2", () => {
    for (const args of [
      ["--input", "/no/such/file.ndjson"],
      ["--input", "-", "--map", "sensor=deviceId"],
      ["--input", "-", "--output", "postgres:db"],
      ["--input", "-", "--format", "xml"],
      ["--map", "value=reading"],
    ]) {
      const bad = run("start", args);
      expect(bad.exitCode).toBe(2);
      const lines = bad.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^bun run start: --(input|map|output|format)/);
    }
  }, 30_000);

  test("start --input - --output -: NDJSON outcomes on standard output, the report on standard error", () => {
    const child = Bun.spawnSync(
      ["bun", "src/programs/start.ts", "--input", "-", "--output", "-", "--batch-size", "2"],
      {
        cwd: runnerDir,
        stdin: new TextEncoder().encode('{"sensorId":"a","value":1}\n{"sensorId":"a","value":"x"}\nnot json\n'),
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect(child.exitCode).toBe(0);
    const lines = child.stdout
      .toString()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.sensorId, line.seq, line.outcome])).toEqual([
      ["a", 1, "result"],
      ["stdin", 2, "error"],
      ["stdin", 3, "error"],
    ]);
    expect(child.stderr.toString()).toContain("check: 3 entered = 1 results + 2 error records");
  }, 30_000);

  test("bad paths and negative numbers: one line naming the flag and the problem, exit 2, nothing made", () => {
    const cases: [string, string[], RegExp][] = [
      ["faults", ["--dlq", "/tmp"], /--dlq: \/tmp is a directory/],
      ["faults", ["--dlq", "/proc/x/y.sqlite"], /--dlq: no directory \/proc\/x/],
      ["faults", ["--dlq", "/nonexistent/dir/x.sqlite"], /--dlq: no directory \/nonexistent\/dir/],
      ["start", ["--on-failure", "dead-letter", "--dlq", "/tmp"], /--dlq: \/tmp is a directory/],
      ["start", ["--output", "sqlite:/nonexistent/dir/x.sqlite"], /--output sqlite: no directory/],
      ["start", ["--batch-size", "-1"], /--batch-size must be a whole number from 1/],
      ["priority", ["--duration", "-1"], /--duration must be >= 0/],
      ["start", ["--json", "--output", "-"], /--json and --output - both/],
    ];
    for (const [program, args, message] of cases) {
      const bad = run(program, args);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr.trim().split("\n")).toHaveLength(1);
      expect(bad.stderr).toMatch(message);
    }
    expect(existsSync("/nonexistent")).toBe(false);
  });

  test("--json: one JSON object on standard output and nothing else; the report's identity inside", () => {
    const child = run("start", ["--duration", "1", "--json"]);
    expect(child.exitCode).toBe(0);
    const lines = child.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0] as string) as {
      program: string;
      report: { accounting: { entered: number; results: number; holds: boolean } };
    };
    expect(report.program).toBe("start");
    expect(report.report.accounting.holds).toBe(true);
    expect(report.report.accounting.results).toBe(report.report.accounting.entered);
    // The text report went to standard error.
    expect(child.stderr).toContain("=== poolstream: final report ===");
  });

  test("simulate to a NATS server that is not there still ends after its duration, with its report", () => {
    const started = performance.now();
    const child = run("simulate", ["--to", "nats://127.0.0.1:9/plant", "--duration", "1"]);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(child.exitCode).toBe(1); // nothing acknowledged
    expect(child.stdout).toContain("readings published");
    expect(child.stdout).toMatch(/acknowledged by the broker \.+ 0/);
  });
});
