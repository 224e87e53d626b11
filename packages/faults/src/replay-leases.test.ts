import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRandom } from "@poolstream/core";
import { DeadLetterLog } from "./dead-letter-log.ts";

const dir = mkdtempSync(join(tmpdir(), "poolstream-leases-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filledLog(path: string, count: number): void {
  using log = new DeadLetterLog({ path });
  log.addMany(
    Array.from({ length: count }, (_, seq) => ({ seq })),
    new Error("first failure"),
    1,
  );
}

const seqOf = (record: unknown) => (record as { seq: number }).seq;

describe("DeadLetterLog.replay with leases", () => {
  test("deliver sees each result while its entry is still in the log; it is removed only after", async () => {
    using log = new DeadLetterLog();
    log.addMany([{ seq: 1 }, { seq: 2 }], new Error("x"), 1);
    const sizesAtDelivery: number[] = [];
    const outcome = await log.replay((record) => seqOf(record) * 10, {
      deliver: () => {
        sizesAtDelivery.push(log.size);
      },
    });
    expect(sizesAtDelivery).toEqual([2, 1]);
    expect(outcome.recovered.map((r) => r.result)).toEqual([10, 20]);
    expect(log.size).toBe(0);
  });

  test("a deliver that throws keeps its entry, released for the next replay, and stops the replay", async () => {
    using log = new DeadLetterLog();
    log.addMany([{ seq: 1 }, { seq: 2 }], new Error("x"), 1);
    const sinkDown = new Error("the sink is down");
    await expect(
      log.replay((record) => seqOf(record), {
        deliver: () => {
          throw sinkDown;
        },
      }),
    ).rejects.toBe(sinkDown);
    expect(log.size).toBe(2);
    const again = await log.replay((record) => seqOf(record));
    expect(again.recovered.map((r) => r.result)).toEqual([1, 2]);
  });

  test("a retry that never settles fails at its deadline; its entry is held for a lease, then retried", async () => {
    using log = new DeadLetterLog();
    log.addMany([{ seq: 1 }, { seq: 2 }], new Error("x"), 1);
    const hangOnFirst = (record: unknown) => (seqOf(record) === 1 ? new Promise<never>(() => {}) : seqOf(record));
    const outcome = await log.replay(hangOnFirst, { retryTimeoutMs: 50, leaseMs: 150 });
    expect(outcome.stillFailing.map((e) => [e.errorType, e.attemptCount])).toEqual([["TaskTimeoutError", 2]]);
    expect(outcome.recovered.map((r) => r.result)).toEqual([2]); // the hang held up nothing behind it
    // The abandoned retry may still be running: nobody retries that entry until its lease runs out.
    const meanwhile = await log.replay((record) => seqOf(record), { retryTimeoutMs: 50, leaseMs: 150 });
    expect(meanwhile.recovered).toEqual([]);
    await Bun.sleep(200);
    const later = await log.replay((record) => seqOf(record));
    expect(later.recovered.map((r) => r.result)).toEqual([1]);
    expect(() => log.replay(() => 1, { retryTimeoutMs: 100, leaseMs: 100 })).toThrow("leaseMs");
    expect(() => log.replay(() => 1, { retryTimeoutMs: Number.NaN })).toThrow("retryTimeoutMs");
  });

  test("a replay slower than its leases keeps them: a second replayer started later takes none of its entries", async () => {
    const path = join(dir, "slow.sqlite");
    filledLog(path, 10);
    using a = new DeadLetterLog({ path });
    using b = new DeadLetterLog({ path });
    const slow = async (record: unknown) => {
      await Bun.sleep(40);
      return seqOf(record);
    };
    // A needs about 400 ms for the 10, far longer than its 200 ms leases; B starts at 250 ms, when the
    // leases A took first would have run out had A not renewed them. The retry deadline (150 ms) is
    // generous against the 40 ms retries, so that no retry fails on a busy machine.
    const first = a.replay(slow, { retryTimeoutMs: 150, leaseMs: 200 });
    await Bun.sleep(250);
    const second = await b.replay(slow, { retryTimeoutMs: 150, leaseMs: 200 });
    const seqsA = (await first).recovered.map((r) => r.result);
    const seqsB = second.recovered.map((r) => r.result);
    expect(seqsA.filter((seq) => seqsB.includes(seq))).toEqual([]);
    expect([...seqsA, ...seqsB].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(a.size).toBe(0);
  });

  test("two logs on one file replaying at once never recover an entry twice, and together recover all", async () => {
    for (let trial = 0; trial < 12; trial++) {
      const path = join(dir, `concurrent-${trial}.sqlite`);
      filledLog(path, 60);
      using a = new DeadLetterLog({ path });
      using b = new DeadLetterLog({ path });
      const random = createRandom(trial + 1);
      const slowly = async (record: unknown) => {
        await Bun.sleep(random() < 0.5 ? 0 : 1);
        return seqOf(record);
      };
      const [fromA, fromB] = await Promise.all([a.replay(slowly), b.replay(slowly)]);
      const seqsA = fromA.recovered.map((r) => r.result);
      const seqsB = fromB.recovered.map((r) => r.result);
      expect(seqsA.filter((seq) => seqsB.includes(seq))).toEqual([]);
      expect([...seqsA, ...seqsB].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(a.size).toBe(0);
    }
  });

  test("replayers killed with SIGKILL mid-replay lose nothing: their leases expire and the entries come back", async () => {
    const path = join(dir, "killed.sqlite");
    const out = join(dir, "killed-out.sqlite");
    let added = 0;
    const addEntries = (count: number) => {
      using log = new DeadLetterLog({ path });
      log.addMany(
        Array.from({ length: count }, (_, i) => ({ seq: added + i })),
        new Error("first failure"),
        1,
      );
      added += count;
    };
    addEntries(500);
    const replayer = new URL("../test/fixtures/replay-into.ts", import.meta.url).pathname;
    const random = createRandom(7);
    let kills = 0;
    // 30 replayers killed at random moments (the log topped up whenever one got to the end first),
    // then one left to finish.
    while (kills < 30) {
      const child = Bun.spawn(["bun", replayer, path, out], { stdout: "ignore", stderr: "ignore" });
      const killAfterMs = 50 + random() * 150;
      const finished = await Promise.race([child.exited.then(() => true), Bun.sleep(killAfterMs).then(() => false)]);
      if (finished) {
        addEntries(500);
        continue;
      }
      child.kill("SIGKILL");
      kills++;
      await child.exited;
    }
    // The last one killed held a lease; it returns to the log once it expires (the fixture leases for 150 ms).
    await Bun.sleep(200);
    const last = Bun.spawn(["bun", replayer, path, out], { stdout: "ignore", stderr: "pipe" });
    const lastCode = await last.exited;
    if (lastCode !== 0) console.log(await new Response(last.stderr).text());
    expect(lastCode).toBe(0);
    console.log(`replay: ${kills} SIGKILLs over ${added} entries, then one replayer ran to the end`);
    expect(kills).toBe(30);
    using log = new DeadLetterLog({ path });
    expect(log.size).toBe(0);
    const sink = new Database(out, { readonly: true });
    const delivered = sink.query<{ seq: number }, []>("SELECT DISTINCT seq FROM recovered ORDER BY seq").all();
    sink.close();
    // Every entry reached the sink at least once: none was lost to a kill.
    expect(delivered.map((r) => r.seq)).toEqual(Array.from({ length: added }, (_, i) => i));
  }, 60_000);
});
