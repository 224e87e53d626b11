/**
 * `bun run query <db>`: what a results database written by `bun run start
 * --output sqlite:<db>` holds: records per outcome, anomalies per sensor,
 * the latest readings, and where each input will resume.
 */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { failUsage, readFlags } from "../cli/flags.ts";
import { JSON_FLAG, printJson } from "../cli/json-output.ts";
import { formatNumber, formatTable } from "../report/text.ts";

const program = {
  usage: "bun run query",
  summary: "Summarizes a results database: outcomes, anomalies per sensor, latest readings, resume positions.",
  flags: {
    json: JSON_FLAG,
    db: {
      type: "string",
      placeholder: "path",
      description: "the SQLite file written by bun run start --output sqlite:<path>",
    },
    top: { type: "integer", default: 10, min: 1, max: 10_000, description: "rows in the per-sensor and latest tables" },
  },
} as const;
// The database may also be given as the one positional argument: `bun run query results.sqlite`.
const positional = process.argv
  .slice(2)
  .filter((arg, i, all) => !arg.startsWith("--") && !all[i - 1]?.startsWith("--"));
const flags = readFlags(
  program,
  process.argv.slice(2).filter((arg) => !positional.includes(arg)),
);
const path = flags.db ?? positional[0];
if (path === undefined) failUsage(program, "name the database: bun run query <path>");
if (positional.length > 1) failUsage(program, `one database at a time, got ${positional.join(", ")}`);
if (!existsSync(path)) failUsage(program, `no file at ${path}`);

let db: Database;
try {
  db = new Database(path, { readonly: true });
  db.query("SELECT 1 FROM outcomes LIMIT 1").get();
} catch (error) {
  failUsage(program, `${path} is not a results database (${(error as Error).message})`);
}

const total = db.query<{ n: number }, []>("SELECT count(*) AS n FROM outcomes").get()?.n ?? 0;
const byOutcome = db
  .query<{ outcome: string; n: number }, []>(
    "SELECT outcome, count(*) AS n FROM outcomes GROUP BY outcome ORDER BY n DESC",
  )
  .all();
console.log(`=== ${path}: ${formatNumber(total)} records ===\n`);
console.log(
  formatTable(
    ["outcome", "records"],
    byOutcome.map((row) => [row.outcome, row.n]),
  ),
);

const perSensor = db
  .query<{ sensor_id: string; results: number; anomalies: number }, [number]>(
    `SELECT sensor_id, count(*) AS results, sum(anomaly) AS anomalies FROM outcomes WHERE outcome = 'result'
     GROUP BY sensor_id ORDER BY anomalies DESC, sensor_id LIMIT ?`,
  )
  .all(flags.top);
const sensors =
  db.query<{ n: number }, []>("SELECT count(DISTINCT sensor_id) AS n FROM outcomes WHERE outcome = 'result'").get()
    ?.n ?? 0;
console.log(
  `\nanomalies (normalized > 0.8) per sensor, top ${Math.min(flags.top, sensors)} of ${formatNumber(sensors)}:`,
);
console.log(
  formatTable(
    ["sensor", "results", "anomalies", "share"],
    perSensor.map((row) => [
      row.sensor_id,
      row.results,
      row.anomalies,
      `${((100 * row.anomalies) / row.results).toFixed(1)} %`,
    ]),
  ),
);

const latest = db
  .query<
    {
      sensor_id: string;
      seq: number;
      value: unknown;
      normalized: number | null;
      anomaly: number | null;
      reading_time: number | null;
    },
    [number]
  >(
    `SELECT sensor_id, seq, value, normalized, anomaly, reading_time FROM outcomes WHERE outcome = 'result'
     ORDER BY reading_time DESC, seq DESC LIMIT ?`,
  )
  .all(flags.top);
console.log("\nlatest readings:");
console.log(
  formatTable(
    ["sensor", "seq", "value", "normalized", "anomaly", "taken at"],
    latest.map((row) => [
      row.sensor_id,
      row.seq,
      String(row.value),
      row.normalized === null ? "" : row.normalized.toFixed(3),
      row.anomaly === 1 ? "yes" : "",
      row.reading_time === null ? "" : new Date(row.reading_time).toISOString(),
    ]),
  ),
);

const failures = db
  .query<{ sensor_id: string; seq: number; outcome: string; error: string | null }, [number]>(
    `SELECT sensor_id, seq, outcome, error FROM outcomes WHERE outcome IN ('error', 'poison') ORDER BY written_at DESC LIMIT ?`,
  )
  .all(flags.top);
if (failures.length > 0) {
  console.log("\nlatest error records and poison pills:");
  console.log(
    formatTable(
      ["sensor", "seq", "outcome", "reason"],
      failures.map((row) => [row.sensor_id, row.seq, row.outcome, row.error ?? ""]),
    ),
  );
}

const checkpoints = db
  .query<{ source_id: string; position: string; written_at: number }, []>(
    "SELECT source_id, position, written_at FROM checkpoints ORDER BY source_id",
  )
  .all();
if (checkpoints.length > 0) {
  console.log("\nwhere each input resumes:");
  console.log(
    formatTable(
      ["input", "after line", "at byte", "stored at"],
      checkpoints.map((row) => {
        const position = JSON.parse(row.position) as { line?: number; offset?: number };
        return [row.source_id, position.line ?? "", position.offset ?? "", new Date(row.written_at).toISOString()];
      }),
    ),
  );
}
if (flags.json) {
  printJson({ program: "query", path, total, byOutcome, perSensor, sensors, latest, failures, checkpoints });
}
db.close();
