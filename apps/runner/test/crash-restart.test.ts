/**
 * `bun run start --input <file> --output sqlite:<db>` killed with SIGKILL at
 * random moments, then run again: after the run that completes, every line
 * of the file is in the database exactly once (as a result or an error
 * record), and the database is never corrupt.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRandom } from "@poolstream/core";

const dir = mkdtempSync(join(tmpdir(), "poolstream-crash-restart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINES = 15_000;
const input = join(dir, "readings.ndjson");
/** Every line's identity in the database: (sensor, line) for a reading, (file, line) for a line that cannot be read. */
const expected = new Set<string>();
{
  const lines: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const line = i + 1;
    if (i % 157 === 5) {
      lines.push("{not json");
      expected.add(`file:readings.ndjson/${line}`);
    } else if (i % 211 === 7) {
      lines.push(JSON.stringify({ sensorId: `s-${i % 25}`, value: "bad" }));
      expected.add(`file:readings.ndjson/${line}`);
    } else {
      lines.push(JSON.stringify({ sensorId: `s-${i % 25}`, value: (i * 37) % 100 }));
      expected.add(`s-${i % 25}/${line}`);
    }
  }
  writeFileSync(input, `${lines.join("\n")}\n`);
}

function startRun(db: string) {
  return Bun.spawn(
    [
      "bun",
      "src/programs/start.ts",
      "--input",
      input,
      "--output",
      `sqlite:${db}`,
      "--batch-size",
      "20",
      "--workers",
      "2",
    ],
    { cwd: `${import.meta.dir}/..`, stdout: "pipe", stderr: "pipe" },
  );
}

function rowsIn(db: string): { rows: number; identities: string[]; intact: boolean } {
  if (!existsSync(db)) return { rows: 0, identities: [], intact: true }; // killed before the database was made
  // Opened for writing, as the next run opens it: a process killed while it switched a new file to WAL
  // leaves a hot rollback journal, which only a writer may roll back (read-only, SQLITE_READONLY_ROLLBACK).
  const database = new Database(db);
  try {
    const intact =
      database.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()?.integrity_check === "ok";
    // Killed between making the file and its tables: a database, with nothing in it yet.
    const hasTable = database.query("SELECT 1 FROM sqlite_master WHERE name = 'outcomes'").get() !== null;
    const identities = hasTable
      ? database
          .query<{ id: string }, []>("SELECT sensor_id || '/' || seq AS id FROM outcomes")
          .all()
          .map((row) => row.id)
      : [];
    return { rows: identities.length, identities, intact };
  } finally {
    database.close();
  }
}

describe("a file into SQLite, killed with SIGKILL and restarted", () => {
  test("20 trials: every line in the database exactly once, never corrupt", async () => {
    const random = createRandom(2026);
    let kills = 0;
    let midRun = 0;
    let resumed = 0;
    for (let trial = 0; trial < 20; trial++) {
      const db = join(dir, `trial-${trial}.sqlite`);
      const killsThisTrial = random() < 0.3 ? 2 : 1;
      for (let k = 0; k < killsThisTrial; k++) {
        const run = startRun(db);
        const finished = await Promise.race([
          run.exited.then(() => true),
          Bun.sleep(80 + random() * 520).then(() => false),
        ]);
        if (finished) continue;
        run.kill("SIGKILL");
        await run.exited;
        kills++;
        const after = rowsIn(db);
        expect(after.intact).toBe(true);
        if (after.rows > 0 && after.rows < LINES) midRun++;
      }
      const last = startRun(db);
      const [stdout, stderr, code] = await Promise.all([
        new Response(last.stdout).text(),
        new Response(last.stderr).text(),
        last.exited,
      ]);
      if (code !== 0) console.log(stdout, stderr);
      expect(code).toBe(0);
      expect(stdout).toContain("check: ");
      if (/resumed after line/.test(stdout)) resumed++;
      const { rows, identities, intact } = rowsIn(db);
      expect(intact).toBe(true);
      expect(rows).toBe(LINES);
      expect(new Set(identities)).toEqual(expected);
    }
    console.log(`crash-restart: ${kills} SIGKILLs (${midRun} with part of the file written), ${resumed} runs resumed`);
    // The kills must have landed while records were being written, or the test shows nothing.
    expect(midRun).toBeGreaterThanOrEqual(10);
    expect(resumed).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
