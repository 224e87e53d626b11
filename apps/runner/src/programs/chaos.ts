/**
 * `bun run chaos`: the reliability suite. Random faults of every class thrown
 * at the Worker pool and the process pool, records with faults through a
 * pipeline with recovery and a dead-letter log, SIGKILLs of processes writing
 * and replaying that log, the bad-input catalogue, every bad option value,
 * and the heap after a long run.
 * Prints a report per fault class and the targets it meets, and writes it as
 * Markdown. Exits 0 when every target is met, 1 otherwise, 130 on Ctrl-C.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBadInput } from "../chaos/bad-input.ts";
import { runBadOptions } from "../chaos/bad-options.ts";
import { type ChaosResults, formatChaosReport, targets } from "../chaos/chaos-report.ts";
import { runDeadLetterChaos } from "../chaos/dead-letter-chaos.ts";
import { type ExecutorChaosResult, runExecutorChaos } from "../chaos/executor-chaos.ts";
import type { ExecutorKind } from "../chaos/faults.ts";
import { runMemoryChaos } from "../chaos/memory-chaos.ts";
import { type PipelineChaosResult, runPipelineChaos } from "../chaos/pipeline-chaos.ts";
import { readFlags } from "../cli/flags.ts";
import { exitCodeAfter, interruptSignal } from "../cli/interrupt.ts";
import { JSON_FLAG, printJson } from "../cli/json-output.ts";
import { Progress } from "../report/progress.ts";

const flags = readFlags({
  usage: "bun run chaos",
  summary:
    "Throws random faults at the pools, the pipeline and the dead-letter log, and reports what was lost, duplicated or blamed wrongly.",
  flags: {
    json: JSON_FLAG,
    batches: {
      type: "integer",
      default: 10_000,
      min: 1,
      max: 10_000_000,
      description: "tasks per executor in the executor scenario",
    },
    records: {
      type: "integer",
      default: 20_000,
      min: 1,
      max: 10_000_000,
      description: "records per executor in the pipeline scenario",
    },
    "fault-share": {
      type: "number",
      default: 0.1,
      min: 0,
      max: 1,
      description: "share of tasks (and of batches) that misbehave",
    },
    kills: {
      type: "integer",
      default: 30,
      min: 0,
      max: 10_000,
      description: "SIGKILLs of dead-letter writers, and as many of replayers",
    },
    trials: {
      type: "integer",
      default: 12,
      min: 0,
      max: 10_000,
      description: "trials of two replayers on one dead-letter file",
    },
    executors: {
      type: "choice",
      choices: ["both", "workers", "processes"],
      default: "both",
      description: "which pools to throw faults at",
    },
    workers: { type: "integer", default: 2, min: 1, max: 64, description: "workers per pool" },
    "task-timeout": {
      type: "integer",
      default: 300,
      min: 50,
      max: 60_000,
      description: "ms a task may run (hung tasks end here)",
    },
    seed: { type: "integer", default: 42, min: 0, max: 2 ** 32 - 1, description: "seed of the faults and records" },
    out: {
      type: "string",
      placeholder: "path",
      description: "where to write the Markdown report (default: a file in the temporary directory)",
    },
  },
});

const interrupt = interruptSignal("chaos");
const kinds: ExecutorKind[] = flags.executors === "both" ? ["workers", "processes"] : [flags.executors];
const settings = `${flags.batches} tasks and ${flags.records} records per executor, ${Math.round(flags["fault-share"] * 100)} % faulty, ${flags.kills} kills, ${flags.trials} concurrent-replay trials, ${flags.workers} workers, task timeout ${flags["task-timeout"]} ms, seed ${flags.seed}`;
console.log(`[chaos] ${settings}`);

const executors: ExecutorChaosResult[] = [];
const pipelines: PipelineChaosResult[] = [];
const results: { -readonly [K in keyof ChaosResults]: ChaosResults[K] } = {
  settings,
  executors,
  pipelines,
  deadLetters: undefined,
  badInput: undefined,
  badOptions: undefined,
  memory: undefined,
};

step("bad option values");
results.badOptions = await runBadOptions();
step("the bad-input catalogue");
results.badInput = await runBadInput();
for (const kind of kinds) {
  if (interrupt.aborted) break;
  const progress = new Progress(`[chaos] executor: ${kind}`, flags.batches, "tasks");
  executors.push(
    await runExecutorChaos({
      kind,
      batches: flags.batches,
      faultShare: flags["fault-share"],
      seed: flags.seed,
      workers: flags.workers,
      taskTimeoutMs: flags["task-timeout"],
      window: 4 * flags.workers * (kind === "workers" ? 2 : 1),
      deadlineMs: 120_000,
      signal: interrupt,
      onProgress: (done) => progress.update(done),
    }),
  );
  progress.finish();
}
for (const kind of kinds) {
  if (interrupt.aborted) break;
  step(`pipeline: ${flags.records} records on ${kind}`);
  pipelines.push(
    await runPipelineChaos({
      kind,
      records: flags.records,
      batchSize: 20,
      faultShare: flags["fault-share"],
      seed: flags.seed,
      workers: flags.workers,
      taskTimeoutMs: flags["task-timeout"],
    }),
  );
}
if (!interrupt.aborted && flags.kills + flags.trials > 0) {
  const progress = new Progress("[chaos] dead-letter log", flags.kills * 2 + flags.trials, "kills and trials");
  results.deadLetters = await runDeadLetterChaos({
    kills: flags.kills,
    concurrentTrials: flags.trials,
    seed: flags.seed,
    onProgress: (done) => progress.update(done),
  });
  progress.finish();
}

if (!interrupt.aborted) {
  step("memory: 100,000 then 1,000,000 records through the main pipeline's shape");
  results.memory = await runMemoryChaos();
}

const report = formatChaosReport(results);
const out = flags.out ?? join(tmpdir(), `poolstream-chaos-${Date.now()}.md`);
writeFileSync(out, `${report}\n`);
console.log(`\n${report}`);
console.log(`report written to ${out}`);
const missed = targets(results).filter((t) => !t.met).length;
console.log(missed === 0 ? "every target met" : `${missed} target${missed === 1 ? "" : "s"} missed`);
if (flags.json) {
  printJson({
    program: "chaos",
    reportFile: out,
    targets: targets(results),
    missed,
    results,
    interrupted: interrupt.aborted,
  });
}
process.exitCode = exitCodeAfter(interrupt, missed === 0 ? 0 : 1);

function step(what: string): void {
  console.log(`[chaos] ${what}...`);
}
