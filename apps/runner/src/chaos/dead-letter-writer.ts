/**
 * A child of the dead-letter scenario: writes `count` dead letters from seq
 * `start` into the log at argv[2], 50 per `addMany` (one transaction each),
 * and prints the last seq of each batch once its transaction has committed.
 * The scenario kills it with SIGKILL at random moments: every seq it printed
 * must be in the log afterwards.
 */
import { DeadLetterLog } from "@poolstream/faults";

const [path, startArg, countArg] = process.argv.slice(2) as [string, string, string];
const start = Number(startArg);
const count = Number(countArg);
const BATCH = 50;
using log = new DeadLetterLog({ path });
for (let seq = start; seq < start + count; seq += BATCH) {
  const records = Array.from({ length: Math.min(BATCH, start + count - seq) }, (_, i) => ({
    seq: seq + i,
    value: Number.NaN,
    at: new Date(seq + i),
  }));
  log.addMany(records, new Error("chaos: dead-lettered"), 3);
  process.stdout.write(`${seq + records.length - 1}\n`);
}
