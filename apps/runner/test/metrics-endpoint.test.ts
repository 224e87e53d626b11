/** `bun run start --metrics <port>`: Prometheus can scrape the running pipeline, and the figures agree with its report. */
import { describe, expect, test } from "bun:test";

const runnerDir = `${import.meta.dir}/..`;

function sample(text: string, name: string, labels = ""): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

const OUTCOMES = ["result", "error_record", "poison_pill", "dead_letter"];

describe("bun run start --metrics", () => {
  test("scraped during a run: every series there, what ended never more than what came in, counters only rise, and never past the report", async () => {
    const child = Bun.spawn(
      [
        "bun",
        "src/programs/start.ts",
        "--duration",
        "2",
        "--metrics",
        "0",
        "--lanes",
        "priority",
        "--crash-rate",
        "0.05",
        "--on-failure",
        "dead-letter",
        "--dlq",
        ":memory:",
      ],
      { cwd: runnerDir, stdout: "pipe", stderr: "pipe" },
    );
    const reader = child.stdout.getReader();
    const decoder = new TextDecoder();
    let out = "";
    while (!/metrics at (\S+)/.test(out)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`ended before serving metrics: ${out}`);
      out += decoder.decode(value, { stream: true });
    }
    const url = /metrics at (\S+)/.exec(out)?.[1] as string;
    const rest = (async () => {
      for (let next = await reader.read(); !next.done; next = await reader.read()) out += decoder.decode(next.value);
    })();
    const scrapes: string[] = [];
    for (let i = 0; i < 6; i++) {
      await Bun.sleep(300);
      const response = await fetch(url).catch(() => undefined);
      if (response?.ok) scrapes.push(await response.text());
    }
    await rest;
    expect(await child.exited).toBe(0);
    expect(scrapes.length).toBeGreaterThanOrEqual(3);
    for (const text of scrapes) {
      const ended = OUTCOMES.reduce((sum, o) => sum + sample(text, "poolstream_records_total", `{outcome="${o}"}`), 0);
      expect(ended).toBeLessThanOrEqual(sample(text, "poolstream_records_in_total"));
      for (const series of [
        'poolstream_lane_depth{lane="CRITICAL"}',
        "poolstream_batches_in_flight",
        "poolstream_workers_alive",
      ]) {
        expect(text).toContain(series);
      }
    }
    // Counters only rise.
    const ins = scrapes.map((text) => sample(text, "poolstream_records_in_total"));
    expect(ins).toEqual([...ins].sort((a, b) => a - b));
    const entered = Number(/check: ([\d,]+) entered/.exec(out)?.[1]?.replace(/,/g, ""));
    expect(entered).toBeGreaterThan(0);
    expect(ins.at(-1)).toBeLessThanOrEqual(entered);
  }, 30_000);

  test("a bad port is one line and exit 2", () => {
    for (const bad of ["-1", "70000", "abc"]) {
      const child = Bun.spawnSync(["bun", "src/programs/start.ts", "--metrics", bad], {
        cwd: runnerDir,
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(child.exitCode).toBe(2);
      expect(child.stderr.toString().trim().split("\n")).toHaveLength(1);
      expect(child.stderr.toString()).toContain("--metrics");
    }
  });
});
