/**
 * The dead-letter scenario: processes writing the SQLite dead-letter log
 * killed with SIGKILL at random moments, processes replaying it killed the
 * same way, and two replayers on one file at once. What must hold: no
 * dead letter a writer saw committed is lost, the file is never corrupt, no
 * entry is lost to a killed replay (its lease expires and it comes back), and
 * no entry is recovered twice by concurrent replayers.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRandom } from "@poolstream/core";
import { DeadLetterLog } from "@poolstream/faults";

export interface DeadLetterChaosOptions {
  /** Writers killed, and replayers killed. */
  readonly kills: number;
  /** Trials of two replayers on one file. */
  readonly concurrentTrials: number;
  readonly seed: number;
  /** Called after each kill or trial. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DeadLetterChaosResult {
  readonly writerKills: number;
  /** Dead letters a killed writer had seen committed. */
  readonly acknowledged: number;
  readonly acknowledgedLost: number;
  /** Batches found in part: a transaction that was not atomic. */
  readonly tornBatches: number;
  readonly corrupt: boolean;
  readonly replayKills: number;
  readonly replayEntries: number;
  /** Entries that reached no replayer's sink. */
  readonly replayLost: number;
  readonly concurrentTrials: number;
  readonly concurrentEntries: number;
  /** Entries recovered by both concurrent replayers. */
  readonly recoveredTwice: number;
  readonly concurrentLost: number;
}

const here = (file: string) => new URL(file, import.meta.url).pathname;

export async function runDeadLetterChaos(options: DeadLetterChaosOptions): Promise<DeadLetterChaosResult> {
  const dir = mkdtempSync(join(tmpdir(), "poolstream-dlq-chaos-"));
  const random = createRandom(options.seed);
  const total = options.kills * 2 + options.concurrentTrials;
  let done = 0;
  const progress = () => options.onProgress?.(++done, total);
  try {
    const writes = await killWriters(join(dir, "written.sqlite"), options.kills, random, progress);
    const replays = await killReplayers(dir, options.kills, random, progress);
    const concurrent = await replayConcurrently(dir, options.concurrentTrials, random, progress);
    return { ...writes, ...replays, ...concurrent };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function killWriters(path: string, kills: number, random: () => number, progress: () => void) {
  let acknowledged = 0;
  let next = 0;
  const acked = new Set<number>();
  for (let kill = 0; kill < kills; kill++) {
    const child = Bun.spawn(["bun", here("./dead-letter-writer.ts"), path, String(next), "1000000"], {
      stdout: "pipe",
      stderr: "ignore",
    });
    const lines = readLines(child.stdout);
    await Bun.sleep(30 + random() * 200);
    child.kill("SIGKILL");
    await child.exited;
    const printed = (await lines).map(Number).filter(Number.isInteger);
    const last = printed.at(-1);
    if (last !== undefined) {
      for (let seq = next; seq <= last; seq++) acked.add(seq);
      acknowledged += last - next + 1;
    }
    // The next writer starts past whatever this one may have committed after its last printed line.
    next += 1_000_000;
    progress();
  }
  const seqs = new Map<number, number>();
  let corrupt = false;
  try {
    const db = new Database(path, { readonly: true });
    corrupt = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()?.integrity_check !== "ok";
    db.close();
    using log = new DeadLetterLog({ path });
    for (const entry of log.entries()) {
      const seq = (entry.record as { seq: number }).seq;
      seqs.set(seq, (seqs.get(seq) ?? 0) + 1);
    }
  } catch {
    corrupt = true;
  }
  let acknowledgedLost = 0;
  for (const seq of acked) if (!seqs.has(seq)) acknowledgedLost++;
  // Batches of 50 from each writer's start: present in full or not at all.
  const batches = new Map<number, number>();
  for (const seq of seqs.keys()) {
    const batch = Math.floor(seq / 50);
    batches.set(batch, (batches.get(batch) ?? 0) + 1);
  }
  const tornBatches = [...batches.values()].filter((size) => size !== 50).length;
  return { writerKills: kills, acknowledged, acknowledgedLost, tornBatches, corrupt };
}

async function killReplayers(dir: string, kills: number, random: () => number, progress: () => void) {
  const path = join(dir, "replayed.sqlite");
  const out = join(dir, "replayed-out.sqlite");
  let added = 0;
  const addEntries = (count: number) => {
    using log = new DeadLetterLog({ path });
    log.addMany(
      Array.from({ length: count }, (_, i) => ({ seq: added + i })),
      new Error("chaos: dead-lettered"),
      1,
    );
    added += count;
  };
  addEntries(500);
  let made = 0;
  while (made < kills) {
    const child = Bun.spawn(["bun", here("./dead-letter-replayer.ts"), path, out], {
      stdout: "ignore",
      stderr: "ignore",
    });
    const finished = await Promise.race([
      child.exited.then(() => true),
      Bun.sleep(50 + random() * 150).then(() => false),
    ]);
    if (finished) {
      addEntries(500); // It got to the end before its kill: top the log up and go on.
      continue;
    }
    child.kill("SIGKILL");
    await child.exited;
    made++;
    progress();
  }
  await Bun.sleep(200); // The last one killed held leases of 150 ms.
  const last = Bun.spawn(["bun", here("./dead-letter-replayer.ts"), path, out], { stdout: "ignore", stderr: "ignore" });
  await last.exited;
  const sink = new Database(out, { readonly: true });
  const delivered = new Set(
    sink
      .query<{ seq: number }, []>("SELECT DISTINCT seq FROM recovered")
      .all()
      .map((row) => row.seq),
  );
  sink.close();
  let replayLost = 0;
  for (let seq = 0; seq < added; seq++) if (!delivered.has(seq)) replayLost++;
  return { replayKills: made, replayEntries: added, replayLost };
}

async function replayConcurrently(dir: string, trials: number, random: () => number, progress: () => void) {
  let recoveredTwice = 0;
  let concurrentLost = 0;
  const perTrial = 60;
  for (let trial = 0; trial < trials; trial++) {
    const path = join(dir, `concurrent-${trial}.sqlite`);
    {
      using log = new DeadLetterLog({ path });
      log.addMany(
        Array.from({ length: perTrial }, (_, seq) => ({ seq })),
        new Error("chaos: dead-lettered"),
        1,
      );
    }
    using a = new DeadLetterLog({ path });
    using b = new DeadLetterLog({ path });
    const slowly = async (record: unknown) => {
      await Bun.sleep(random() < 0.5 ? 0 : 1);
      return (record as { seq: number }).seq;
    };
    const [fromA, fromB] = await Promise.all([a.replay(slowly), b.replay(slowly)]);
    const seqsA = new Set(fromA.recovered.map((r) => r.result));
    const seqsB = fromB.recovered.map((r) => r.result);
    recoveredTwice += seqsB.filter((seq) => seqsA.has(seq)).length;
    concurrentLost += perTrial - new Set([...seqsA, ...seqsB]).size;
    progress();
  }
  return { concurrentTrials: trials, concurrentEntries: trials * perTrial, recoveredTwice, concurrentLost };
}

/** Everything a child printed, as lines, once its output ends. */
async function readLines(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const text = await new Response(stream).text();
  return text.split("\n").filter((line) => line !== "");
}
