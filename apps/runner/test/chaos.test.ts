/**
 * The chaos suite, small enough for every test run (well under a minute):
 * each scenario of `bun run chaos` at a few hundred tasks, with the targets
 * of the full run. The full run is a program (`bun run chaos`), not a test.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBadInput } from "../src/chaos/bad-input.ts";
import { runBadOptions } from "../src/chaos/bad-options.ts";
import { runDeadLetterChaos } from "../src/chaos/dead-letter-chaos.ts";
import { runExecutorChaos } from "../src/chaos/executor-chaos.ts";
import { FaultClass } from "../src/chaos/faults.ts";
import { runMemoryChaos } from "../src/chaos/memory-chaos.ts";
import { runPipelineChaos } from "../src/chaos/pipeline-chaos.ts";

describe("chaos, short run", () => {
  for (const [kind, batches] of [
    ["workers", 600],
    ["processes", 300],
  ] as const) {
    test(`${kind}: ${batches} tasks with random faults settle as their class says; no innocent fails; nothing is left`, async () => {
      const result = await runExecutorChaos({
        kind,
        batches,
        faultShare: 0.3,
        seed: 7,
        workers: 2,
        taskTimeoutMs: 300,
        window: 8,
        deadlineMs: 60_000,
      });
      expect(result).toMatchObject({
        unsettled: 0,
        innocentFailed: 0,
        unexpected: 0,
        threadsLeft: 0,
        processesLeft: 0,
      });
      expect(result.closeMs).toBeLessThan(1000);
      // The faults were really thrown: crashes, timeouts and task failures all happened, and innocents ran.
      expect(result.stats.crashes).toBeGreaterThan(0);
      expect(result.stats.timeouts).toBeGreaterThan(0);
      expect(result.stats.interrupted).toBeGreaterThan(0);
      expect(result.perFault.get(FaultClass.none)?.resolved).toBeGreaterThan(batches / 2);
      expect(result.perFault.get(FaultClass.throws)?.rejected.get("TaskFailedError")).toBeGreaterThan(0);
    }, 60_000);
  }

  for (const kind of ["workers", "processes"] as const) {
    test(`${kind}: records with faults through a pipeline end once each, where their kind says`, async () => {
      const result = await runPipelineChaos({
        kind,
        records: 1500,
        batchSize: 20,
        faultShare: 0.2,
        seed: 11,
        workers: 2,
        taskTimeoutMs: 200,
      });
      expect(result).toMatchObject({ lost: 0, duplicated: 0, misplaced: 0, accountingHolds: true });
      expect(result).toMatchObject({ threadsLeft: 0, processesLeft: 0 });
      expect(result.failedCalls).toBeGreaterThan(0);
      const deadLettered = [...result.perKind.values()].reduce((sum, tally) => sum + tally.deadLetters, 0);
      expect(deadLettered).toBeGreaterThan(0);
    }, 60_000);
  }

  test("the dead-letter log: killed writers and replayers lose nothing; concurrent replayers recover nothing twice", async () => {
    const result = await runDeadLetterChaos({ kills: 5, concurrentTrials: 3, seed: 3 });
    expect(result.acknowledged).toBeGreaterThan(0);
    expect(result).toMatchObject({
      acknowledgedLost: 0,
      tornBatches: 0,
      corrupt: false,
      replayKills: 5,
      replayLost: 0,
    });
    expect(result).toMatchObject({ recoveredTwice: 0, concurrentLost: 0 });
  }, 60_000);

  test("the bad-input catalogue: no exception escapes, nothing is altered silently, neighbours are computed", async () => {
    const result = await runBadInput();
    expect(result.cases.length).toBeGreaterThanOrEqual(26);
    expect(result).toMatchObject({ escaped: 0, silentAlterations: 0, neighboursNotComputed: 0, accountingHolds: true });
    expect(result.emptyBatchOk).toBe(true);
  }, 60_000);

  test("every bad option value is refused with a typed error naming the option, or is in its documented range", async () => {
    const verdicts = await runBadOptions();
    expect(verdicts.length).toBeGreaterThan(150);
    expect(verdicts.filter((v) => v.problem !== "")).toEqual([]);
  }, 60_000);

  test("memory stays flat: the heap after ten times the records is about the same", async () => {
    const result = await runMemoryChaos([50_000, 500_000]);
    expect(result.accountingHolds).toBe(true);
    expect(result.growth).toBeLessThan(1.2);
  }, 60_000);

  test("bun run chaos: a tiny run prints the report, writes it, and exits 0 with every target met", () => {
    const dir = mkdtempSync(join(tmpdir(), "poolstream-chaos-program-"));
    try {
      const out = join(dir, "report.md");
      const child = Bun.spawnSync(
        [
          "bun",
          "src/programs/chaos.ts",
          "--batches",
          "100",
          "--records",
          "200",
          "--kills",
          "1",
          "--trials",
          "1",
          "--out",
          out,
        ],
        { cwd: `${import.meta.dir}/..`, stdout: "pipe", stderr: "pipe", timeout: 60_000, killSignal: "SIGKILL" },
      );
      expect(child.exitCode).toBe(0);
      expect(child.stdout.toString()).toContain("every target met");
      expect(readFileSync(out, "utf8")).toContain("| target | measured |");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
