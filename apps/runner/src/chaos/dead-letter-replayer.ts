/**
 * A child of the dead-letter scenario: replays the log at argv[2] into an
 * SQLite "sink" at argv[3], a millisecond per entry, with short leases, so
 * that the scenario can kill it with SIGKILL at any moment and start another.
 */
import { Database } from "bun:sqlite";
import { DeadLetterLog } from "@poolstream/faults";

const [path, out] = process.argv.slice(2) as [string, string];
const sink = new Database(out, { create: true });
sink.run("PRAGMA journal_mode = WAL");
sink.run("PRAGMA busy_timeout = 5000");
sink.run("CREATE TABLE IF NOT EXISTS recovered (seq INTEGER NOT NULL)");
const insert = sink.query<unknown, [number]>("INSERT INTO recovered (seq) VALUES (?)");
using log = new DeadLetterLog({ path });
await log.replay(
  async (record) => {
    await Bun.sleep(1);
    return (record as { seq: number }).seq;
  },
  { retryTimeoutMs: 100, leaseMs: 150, deliver: ({ result }) => void insert.run(result) },
);
sink.close();
