/**
 * `bun run faults`: 2,000 records, 5 % of them poison pills, through the
 * fault-tolerant processor with a 2 % chance that a kernel call crashes; then
 * the dead-letter log is replayed. Prints where every record ended and checks
 * that successful + failed + poison pills + dead letters = total.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  computeFaultTolerantBatch,
  DeadLetterLog,
  FaultTolerantBatchProcessor,
  type FaultTolerantEntry,
  generateFaultyRecords,
} from "@poolstream/faults";
import { WorkerPool } from "@poolstream/pool";
import { readFlags } from "../cli/flags.ts";
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

if (flags.dlq !== ":memory:") mkdirSync(dirname(flags.dlq), { recursive: true });
using deadLetterLog = new DeadLetterLog(flags.dlq === ":memory:" ? {} : { path: flags.dlq });
await using pool = new WorkerPool({ size: flags.workers, name: "main" });
await using recoveryPool = new WorkerPool({ size: 1, name: "recovery" });
const carriedOver = deadLetterLog.size;

if (flags["poison-rate"] + flags["malformed-rate"] > 1) {
  console.error("bun run faults: --poison-rate and --malformed-rate add up to more than 1 (see --help)");
  process.exit(2);
}
const records = generateFaultyRecords({
  count: flags.records,
  poisonRate: flags["poison-rate"],
  malformedRate: flags["malformed-rate"],
  seed: flags.seed,
});
console.log(
  `[faults] ${flags.records} records, ${flags["poison-rate"] * 100} % poison pills, ${flags["malformed-rate"] * 100} % malformed, ${flags["crash-rate"] * 100} % crash chance per kernel call, dead-letter log ${flags.dlq}${carriedOver > 0 ? ` (${carriedOver} entries from earlier runs)` : ""}`,
);
const processor = new FaultTolerantBatchProcessor({
  pool,
  recoveryPool,
  deadLetterLog,
  batchSize: flags["batch-size"],
  crashProbability: flags["crash-rate"],
  seed: flags.seed,
  taskTimeoutMs: 10_000,
  log: (line) => console.log(line),
});
const { counters } = await processor.process(records);
const deadLetteredNow = deadLetterLog.size - carriedOver;

// Replay: each entry is retried once, alone, on the recovery pool, with no simulated crash.
const replay = await deadLetterLog.replay(async (record) => {
  const [entry] = await recoveryPool.run(computeFaultTolerantBatch, { records: [record] });
  if (entry === undefined) throw new Error("the kernel returned no entry");
  return entry;
});
const replayedBy = (status: FaultTolerantEntry["status"]) =>
  replay.recovered.filter((r) => r.result.status === status).length;

const accounted = counters.successful + counters.failed + counters.poisonPills + counters.deadLettered;
console.log("\n=== poolstream fault tolerance: report ===");
console.log(
  formatKeyValues([
    ["total records", counters.total],
    ["successful", counters.successful],
    ["failed (error records)", counters.failed],
    ["poison pills", counters.poisonPills],
    ["worker crashes", counters.workerCrashes],
    ["recoveries (recovery pool)", counters.recoveries],
    ["dead-letter entries (this run)", counters.deadLettered],
    [
      "replay successes",
      `${replay.recovered.length} (${replayedBy("OK")} results, ${replayedBy("FAILED")} error records, ${replayedBy("POISON_PILL")} poison pills)`,
    ],
    ["still dead-lettered after replay", replay.stillFailing.length],
    [
      "check",
      `successful + failed + poison pills + dead letters = ${counters.successful} + ${counters.failed} + ${counters.poisonPills} + ${counters.deadLettered} = ${accounted} ${accounted === counters.total && deadLetteredNow === counters.deadLettered ? "= total: OK" : `≠ ${counters.total}: MISMATCH`}`,
    ],
  ]),
);
process.exitCode = accounted === counters.total ? 0 : 1;
