/**
 * `bun run faults`: 2,000 records, 5 % of them poison pills, through a
 * pipeline that recovers failed batches on a second pool and dead-letters
 * what still fails, with a 2 % chance that a call crashes; then the
 * dead-letter log is replayed through the kernel itself. Prints where every
 * record ended and checks that results + error records + poison pills + dead
 * letters = total.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
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
import { failUsage, readFlags } from "../cli/flags.ts";
import { formatAccounting } from "../report/pipeline-text.ts";
import { formatKeyValues } from "../report/text.ts";

const flags = readFlags({
  usage: "bun run faults",
  summary:
    "Processes records with poison pills and simulated crashes, dead-letters what cannot be saved, replays the log.",
  flags: {
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
if (flags.dlq !== ":memory:") mkdirSync(dirname(flags.dlq), { recursive: true });
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
faulty.on("batch-failed", (e) => {
  crashes[e.attempts === 1 ? "main" : "recovery"]++;
  const next = e.next === "retry" ? "retrying on the recovery pool" : `${e.size} records to the dead-letter log`;
  console.log(
    `[faults] batch ${e.batchId} (${e.size} records, attempt ${e.attempts}) failed: ${e.error.message}; ${next}`,
  );
});
const report = await faulty.run();
const { accounting } = report;
const deadLetteredNow = deadLetterLog.size - carriedOver;

// Replay: each entry runs again, alone, through the kernel itself on the recovery pool, with no simulated crash.
const replay = await deadLetterLog.replay(computeFaultTolerantBatch, { executor: recoveryPool });
const replayedBy = (status: FaultTolerantEntry["status"]) =>
  replay.recovered.filter((r) => r.result.status === status).length;

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
    [
      "replay successes",
      `${replay.recovered.length} (${replayedBy("OK")} results, ${replayedBy("FAILED")} error records, ${replayedBy("POISON_PILL")} poison pills)`,
    ],
    ["still dead-lettered after replay", replay.stillFailing.length],
  ]),
);
const durable = deadLetteredNow === accounting.deadLetters;
console.log(
  `\ncheck: ${formatAccounting(accounting)}${durable ? "" : ` (but the log gained ${deadLetteredNow} entries: MISMATCH)`}`,
);
process.exitCode = accounting.holds && durable ? 0 : 1;
