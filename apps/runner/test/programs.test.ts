import { describe, expect, test } from "bun:test";

const runnerDir = `${import.meta.dir}/..`;
function run(program: string, args: string[]) {
  const child = Bun.spawnSync(["bun", `src/programs/${program}.ts`, ...args], {
    cwd: runnerDir,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { exitCode: child.exitCode, stdout: child.stdout.toString(), stderr: child.stderr.toString() };
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
    expect(stdout).toContain("= total: OK");
    expect(stdout).toMatch(/worker crashes \.+ [1-9]/);
  }, 60_000);

  test("priority: both lanes are reported and every ingested record is processed", () => {
    const { exitCode, stdout } = run("priority", ["--duration", "1", "--work", "2000"]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/CRITICAL processed \.+ [1-9]/);
    expect(stdout).toContain("check ingested = processed: OK");
  }, 60_000);

  test("adaptive: prints a chart and a final size for both kernels", () => {
    const { exitCode, stdout } = run("adaptive", ["--records", "3000"]);
    expect(exitCode).toBe(0);
    expect(stdout.match(/final batch size \.+ \d+/g)).toHaveLength(2);
    expect(stdout).toContain("batches 0-");
    expect(stdout).toMatch(/light settled at \d+, heavy at \d+/);
  }, 60_000);

  for (const program of ["start", "adaptive", "priority", "faults"]) {
    test(`${program}: --help exits 0; a bad flag exits 2 with one line`, () => {
      const help = run(program, ["--help"]);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain(`Usage: bun run ${program}`);
      const bad = run(program, ["--no-such-flag"]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    }, 30_000);
  }
});
