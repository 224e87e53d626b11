/**
 * The chaos suite's report, in Markdown (readable in a terminal, and kept in
 * docs/): per scenario and fault class what happened, then each target of
 * issue 16 with the figure measured and whether it was met.
 */
import { formatNumber } from "../report/text.ts";
import type { BadInputResult } from "./bad-input.ts";
import type { OptionVerdict } from "./bad-options.ts";
import type { DeadLetterChaosResult } from "./dead-letter-chaos.ts";
import type { ExecutorChaosResult } from "./executor-chaos.ts";
import type { MemoryChaosResult } from "./memory-chaos.ts";
import type { PipelineChaosResult } from "./pipeline-chaos.ts";

export interface ChaosResults {
  readonly settings: string;
  readonly executors: readonly ExecutorChaosResult[];
  readonly pipelines: readonly PipelineChaosResult[];
  readonly deadLetters: DeadLetterChaosResult | undefined;
  readonly badInput: BadInputResult | undefined;
  readonly badOptions: readonly OptionVerdict[] | undefined;
  readonly memory: MemoryChaosResult | undefined;
}

export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const n = formatNumber;

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (value: string | number) => (typeof value === "number" ? n(value) : value);
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (rows.length > 0 && rows.every((row) => typeof row[i] === "number") ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ].join("\n");
}

function executorSection(result: ExecutorChaosResult): string {
  const rows = [...result.perFault]
    .sort((a, b) => b[1].batches - a[1].batches)
    .map(([fault, t]) => [
      fault,
      t.batches,
      t.resolved,
      [...t.rejected].map(([name, count]) => `${name} ${n(count)}`).join(", ") || "—",
      t.unsettled,
      t.unexpected,
    ]);
  const s = result.stats;
  return [
    `### Executor: ${result.kind === "workers" ? "WorkerPool (threads)" : "ProcessPool (child processes)"}, ${n(result.batches)} batches`,
    "",
    table(["fault class", "batches", "resolved", "rejected, by error", "unsettled", "not as expected"], rows),
    "",
    `Innocent batches failed: **${n(result.innocentFailed)}**. Unsettled at the deadline: **${n(result.unsettled)}**. ` +
      `Pool counters: ${n(s.crashes)} crashes, ${n(s.interrupted)} interrupted tasks run again, ${n(s.moved)} moved off a stuck worker, ` +
      `${n(s.timeouts)} timeouts, ${n(s.workersStarted)} workers started. ` +
      `Close took ${result.closeMs.toFixed(1)} ms and left ${n(result.threadsLeft)} threads and ${n(result.processesLeft)} processes; ` +
      `the run took ${(result.elapsedMs / 1000).toFixed(1)} s.`,
  ].join("\n");
}

function pipelineSection(result: PipelineChaosResult): string {
  const rows = [...result.perKind]
    .sort((a, b) => b[1].records - a[1].records)
    .map(([kind, t]) => [
      kind,
      t.records,
      t.results,
      t.errorRecords,
      t.poisonPills,
      t.deadLetters,
      t.lost,
      t.duplicated,
      t.misplaced,
    ]);
  return [
    `### Pipeline with recovery, bisection and a dead-letter log, on ${result.kind === "workers" ? "threads" : "child processes"}`,
    "",
    table(
      [
        "records (by what they carried)",
        "records",
        "results",
        "error records",
        "poison pills",
        "dead letters",
        "lost",
        "duplicated",
        "misplaced",
      ],
      rows,
    ),
    "",
    `Lost **${n(result.lost)}**, duplicated **${n(result.duplicated)}**, misplaced **${n(result.misplaced)}** (looked up by record id in the sink and the dead-letter log); ` +
      `the report's accounting ${result.accountingHolds ? "holds" : "does NOT hold"}. ${n(result.failedCalls)} failed calls, ${n(result.recoveries)} recovered. ` +
      `${n(result.threadsLeft)} threads and ${n(result.processesLeft)} processes left; ${(result.elapsedMs / 1000).toFixed(1)} s.`,
  ].join("\n");
}

function deadLetterSection(r: DeadLetterChaosResult): string {
  return [
    "### The dead-letter log under SIGKILL",
    "",
    table(
      ["what", "runs", "entries", "lost", "other"],
      [
        [
          "writers killed mid-write",
          r.writerKills,
          r.acknowledged,
          r.acknowledgedLost,
          `${n(r.tornBatches)} torn transactions, file ${r.corrupt ? "CORRUPT" : "intact"}`,
        ],
        ["replayers killed mid-replay", r.replayKills, r.replayEntries, r.replayLost, "—"],
        [
          "two replayers on one file",
          r.concurrentTrials,
          r.concurrentEntries,
          r.concurrentLost,
          `${n(r.recoveredTwice)} recovered twice`,
        ],
      ],
    ),
  ].join("\n");
}

function badInputSection(r: BadInputResult): string {
  return [
    "### The bad-input catalogue (a bad record between good ones, through the fault-tolerant kernel)",
    "",
    table(
      ["input", "objects wire", "columnar wire", "exceptions escaped", "altered silently in the log"],
      r.cases.map((c) => [
        c.name,
        c.outcomes.objects,
        c.outcomes.columnar,
        c.escaped,
        c.silentlyAltered ? "yes" : "no",
      ]),
    ),
    "",
    `Good neighbours not computed: **${n(r.neighboursNotComputed)}**; accounting ${r.accountingHolds ? "holds" : "does NOT hold"} on every run; ` +
      `an empty batch ${r.emptyBatchOk ? "gives no outputs and no exception" : "FAILS"}.`,
  ].join("\n");
}

function badOptionsSection(verdicts: readonly OptionVerdict[]): string {
  const wrong = verdicts.filter((v) => v.problem !== "");
  const options = new Set(verdicts.map((v) => `${v.target}.${v.option}`));
  return [
    "### Bad option values (0, −1, NaN, ∞, 2³¹, 1e6)",
    "",
    `${n(options.size)} options × 6 values = ${n(verdicts.length)} tries: ${n(verdicts.filter((v) => v.outcome === "refused").length)} refused with an ` +
      `InvalidArgumentError naming the option, ${n(verdicts.filter((v) => v.outcome === "accepted" && v.problem === "").length)} accepted inside the documented range, ` +
      `**${n(wrong.length)}** wrong.`,
    ...(wrong.length === 0
      ? []
      : [
          "",
          table(
            ["option", "value", "problem"],
            wrong.map((v) => [`${v.target}.${v.option}`, String(v.value), v.problem]),
          ),
        ]),
  ].join("\n");
}

function memorySection(r: MemoryChaosResult): string {
  return [
    "### Memory over a long run (columns, the fault-tolerant kernel, the results sink keeping counters only)",
    "",
    table(
      ["records in the run", "heap after a full collection", "RSS"],
      r.runs.map((run) => [run.records, `${run.heapMb.toFixed(1)} MiB`, `${run.rssMb.toFixed(0)} MiB`]),
    ),
  ].join("\n");
}

/** Each target of the issue, measured. */
export function targets(results: ChaosResults): Target[] {
  const list: Target[] = [];
  for (const r of results.executors) {
    const name = r.kind === "workers" ? "WorkerPool" : "ProcessPool";
    list.push({
      target: `${name}, ${n(r.batches)} batches of random faults: 0 unsettled, 0 innocent failed, 0 not as expected`,
      measured: `${n(r.unsettled)} unsettled, ${n(r.innocentFailed)} innocent failed, ${n(r.unexpected)} not as expected`,
      met: r.unsettled === 0 && r.innocentFailed === 0 && r.unexpected === 0,
    });
    list.push({
      target: `${name}: 0 threads or processes left, close under 1 s`,
      measured: `${n(r.threadsLeft)} threads, ${n(r.processesLeft)} processes, close ${r.closeMs.toFixed(1)} ms`,
      met: r.threadsLeft === 0 && r.processesLeft === 0 && r.closeMs < 1000,
    });
  }
  for (const r of results.pipelines) {
    list.push({
      target: `pipeline on ${r.kind}: 0 records lost, 0 duplicated, each where its kind says`,
      measured: `${n(r.lost)} lost, ${n(r.duplicated)} duplicated, ${n(r.misplaced)} misplaced`,
      met: r.lost === 0 && r.duplicated === 0 && r.misplaced === 0 && r.accountingHolds,
    });
  }
  const d = results.deadLetters;
  if (d !== undefined) {
    list.push({
      target: `${d.writerKills} SIGKILLs during writes and ${d.replayKills} during replays: 0 dead letters lost`,
      measured: `${n(d.acknowledgedLost)} of ${n(d.acknowledged)} written lost (${d.tornBatches} torn, ${d.corrupt ? "corrupt" : "intact"}); ${n(d.replayLost)} of ${n(d.replayEntries)} replayed lost`,
      met: d.acknowledgedLost === 0 && d.tornBatches === 0 && !d.corrupt && d.replayLost === 0,
    });
    list.push({
      target: `two concurrent replayers × ${d.concurrentTrials} trials: 0 entries recovered twice`,
      measured: `${n(d.recoveredTwice)} twice, ${n(d.concurrentLost)} lost`,
      met: d.recoveredTwice === 0 && d.concurrentLost === 0,
    });
  }
  const b = results.badInput;
  if (b !== undefined) {
    list.push({
      target: "bad-input catalogue: 0 exceptions escaping, 0 silent alterations in the dead-letter log",
      measured: `${n(b.escaped)} escaped, ${n(b.silentAlterations)} altered, ${n(b.neighboursNotComputed)} neighbours not computed`,
      met:
        b.escaped === 0 &&
        b.silentAlterations === 0 &&
        b.neighboursNotComputed === 0 &&
        b.accountingHolds &&
        b.emptyBatchOk,
    });
  }
  const o = results.badOptions;
  if (o !== undefined) {
    const wrong = o.filter((v) => v.problem !== "").length;
    list.push({
      target: "every bad option value: a typed error naming the option, or inside its documented range",
      measured: `${n(wrong)} wrong of ${n(o.length)}`,
      met: wrong === 0,
    });
  }
  const m = results.memory;
  if (m !== undefined) {
    const first = m.runs[0];
    const last = m.runs.at(-1);
    list.push({
      target: `memory stays flat: heap after ${n(last?.records ?? 0)} records ≤ 1.2 × after ${n(first?.records ?? 0)}`,
      measured: `${m.growth.toFixed(2)}× (${first?.heapMb.toFixed(1)} → ${last?.heapMb.toFixed(1)} MiB)`,
      met: m.growth <= 1.2 && m.accountingHolds,
    });
  }
  return list;
}

export function formatChaosReport(results: ChaosResults): string {
  const met = targets(results);
  return [
    "# poolstream chaos report",
    "",
    `Made by \`bun run chaos\` (${results.settings}).`,
    "",
    "## Targets",
    "",
    table(
      ["target", "measured", ""],
      met.map((t) => [t.target, t.measured, t.met ? "met" : "**missed**"]),
    ),
    "",
    "## What happened, per scenario",
    "",
    ...results.executors.flatMap((r) => [executorSection(r), ""]),
    ...results.pipelines.flatMap((r) => [pipelineSection(r), ""]),
    ...(results.deadLetters === undefined ? [] : [deadLetterSection(results.deadLetters), ""]),
    ...(results.badInput === undefined ? [] : [badInputSection(results.badInput), ""]),
    ...(results.badOptions === undefined ? [] : [badOptionsSection(results.badOptions), ""]),
    ...(results.memory === undefined ? [] : [memorySection(results.memory), ""]),
  ].join("\n");
}
