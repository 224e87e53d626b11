/**
 * `bun run faults`: 2,000 records, 5 % of them poison pills, through a
 * pipeline that recovers failed batches on a second pool and dead-letters
 * what still fails, with a 2 % chance that a call crashes; then the
 * dead-letter log is replayed through the kernel itself. Prints where every
 * record ended and checks that results + error records + poison pills + dead
 * letters = total.
 */
import { fixedSize } from "@poolstream/core";
import {
  computeFaultTolerantBatch,
  DeadLetterLog,
  type FaultTolerantEntry,
  faultTolerantTransport,
  generateFaultyRecords,
  recoverThenDeadLetter,
  withSimulatedCrashes,
} from "@poolstream/faults";
import { pipeline } from "@poolstream/pipeline";
import { WorkerPool } from "@poolstream/pool";
import { databasePathProblem } from "../cli/file-paths.ts";
import { failUsage, readFlags } from "../cli/flags.ts";
import { exitCodeAfter, interruptSignal } from "../cli/interrupt.ts";
import { JSON_FLAG, printJson } from "../cli/json-output.ts";
import { formatAccounting } from "../report/pipeline-text.ts";
import { Progress } from "../report/progress.ts";
import { formatKeyValues } from "../report/text.ts";

const flags = readFlags({
  usage: "bun run faults",
  summary:
    "Processes records with poison pills and simulated crashes, dead-letters what cannot be saved, replays the log.",
  flags: {
    json: JSON_FLAG,
    records: { type: "integer", default: 2000, min: 0, max: 100_000_000, description: "records to process" },
    "poison-rate": {
      type: "number",
      default: 0.05,
      min: 0,
      max: 1,
      description: "share of records whose value is NaN or ±Infinity",
    },
    "crash-rate": { type: "number", default: 0.02, min: 0, max: 1, description: "chance that a kernel call crashes" },
    "malformed-rate": {
      type: "number",
      default: 0.01,
      min: 0,
      max: 1,
      description: "share of malformed records (a string or null value, an overflow, not an object)",
    },
    seed: {
      type: "integer",
      default: 42,
      min: 0,
      max: 2 ** 32 - 1,
      description: "seed of the records and of the crash simulator",
    },
    dlq: {
      type: "string",
      default: ".poolstream/dead-letters.sqlite",
      placeholder: "path",
      description: "SQLite file of the dead-letter log (':memory:' for none)",
    },
    workers: { type: "integer", default: 2, min: 1, max: 256, description: "Bun Workers in the main pool" },
    "batch-size": { type: "integer", default: 50, min: 1, max: 100_000, description: "records per batch" },
  },
});

if (flags["poison-rate"] + flags["malformed-rate"] > 1) {
  failUsage({ usage: "bun run faults" }, "--poison-rate and --malformed-rate add up to more than 1");
}
const dlqProblem = databasePathProblem(flags.dlq);
if (dlqProblem !== undefined) failUsage({ usage: "bun run faults" }, `--dlq: ${dlqProblem}`);
using deadLetterLog = new DeadLetterLog(flags.dlq === ":memory:" ? {} : { path: flags.dlq });
await using pool = new WorkerPool({ size: flags.workers, name: "main" });
await using recoveryPool = new WorkerPool({ size: 1, name: "recovery" });
const carriedOver = deadLetterLog.size;

const records = generateFaultyRecords({
  count: flags.records,
  poisonRate: flags["poison-rate"],
  malformedRate: flags["malformed-rate"],
  seed: flags.seed,
});
console.log(
  `[faults] ${flags.records} records, ${flags["poison-rate"] * 100} % poison pills, ${flags["malformed-rate"] * 100} % malformed, ${flags["crash-rate"] * 100} % crash chance per call, dead-letter log ${flags.dlq}${carriedOver > 0 ? ` (${carriedOver} entries from earlier runs)` : ""}`,
);
const crashes = { main: 0, recovery: 0 };
const faulty = pipeline<unknown, FaultTolerantEntry>({
  source: records,
  executor: withSimulatedCrashes(pool, { probability: flags["crash-rate"], seed: flags.seed, name: "main" }),
  transport: faultTolerantTransport("columnar"),
  sizer: fixedSize(flags["batch-size"]),
  taskTimeoutMs: 10_000,
  failurePolicy: recoverThenDeadLetter({
    recoveryExecutor: withSimulatedCrashes(recoveryPool, {
      probability: flags["crash-rate"],
      seed: flags.seed + 1,
      name: "recovery",
    }),
    deadLetterLog,
  }),
});
/** The first few failures are shown as they happen; the rest are counted in the report, not printed. */
const SHOWN_FAILURES = 5;
faulty.on("batch-failed", (e) => {
  crashes[e.attempts === 1 ? "main" : "recovery"]++;
  const failures = crashes.main + crashes.recovery;
  if (failures > SHOWN_FAILURES) return;
  const next = e.next === "retry" ? "retrying on the recovery pool" : `${e.size} records to the dead-letter log`;
  console.log(
    `[faults] batch ${e.batchId} (${e.size} records, attempt ${e.attempts}) failed: ${e.error.message}; ${next}${failures === SHOWN_FAILURES ? " (further failures are counted in the report)" : ""}`,
  );
});
const interrupt = interruptSignal("faults");
const progress = new Progress("[faults]", records.length, "records");
const ticker = setInterval(() => progress.update(faulty.stats().accounting.entered), 250);
const report = await faulty.run(interrupt);
clearInterval(ticker);
progress.update(report.accounting.entered);
progress.finish();
const { accounting } = report;
const deadLetteredNow = deadLetterLog.size - carriedOver;

// Replay: each entry runs again, alone, through the kernel itself on the recovery pool, with no simulated crash.
// Interrupted, the log is left as it is for the next run.
const replay = interrupt.aborted
  ? undefined
  : await deadLetterLog.replay(computeFaultTolerantBatch, { executor: recoveryPool });
const replayedBy = (status: FaultTolerantEntry["status"]) =>
  replay?.recovered.filter((r) => r.result.status === status).length ?? 0;

console.log("\n=== poolstream fault tolerance: report ===");
console.log(
  formatKeyValues([
    ["total records", accounting.entered],
    ["results", accounting.results],
    ["error records", accounting.errorRecords],
    ["poison pills", accounting.poisonPills],
    ["crashed calls (main / recovery)", `${crashes.main} / ${crashes.recovery}`],
    ["recoveries (recovery pool)", report.counters.recoveries],
    ["dead-letter entries (this run)", accounting.deadLetters],
    ...(replay === undefined
      ? ([["replay", `skipped (interrupted): ${deadLetterLog.size} entries wait in the log for the next run`]] as const)
      : ([
          [
            "replay successes",
            `${replay.recovered.length} (${replayedBy("OK")} results, ${replayedBy("FAILED")} error records, ${replayedBy("POISON_PILL")} poison pills)`,
          ],
          ["still dead-lettered after replay", replay.stillFailing.length],
        ] as const)),
  ]),
);
const durable = deadLetteredNow === accounting.deadLetters;
console.log(
  `\ncheck: ${formatAccounting(accounting)}${durable ? "" : ` (but the log gained ${deadLetteredNow} entries: MISMATCH)`}`,
);
if (flags.json) {
  printJson({
    program: "faults",
    report,
    crashes,
    deadLetteredNow,
    replay:
      replay === undefined ? null : { recovered: replay.recovered.length, stillFailing: replay.stillFailing.length },
    durable,
    interrupted: interrupt.aborted,
  });
}
process.exitCode = exitCodeAfter(interrupt, accounting.holds && durable ? 0 : 1);
