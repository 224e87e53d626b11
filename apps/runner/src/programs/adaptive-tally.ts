/**
 * `bun run adaptive:tally`: runs `bun run adaptive` several times, each in a
 * fresh process as a user would, and counts how often light settled above
 * heavy, so anyone can check the claim in the README on their machine.
 */
import { readFlags } from "../cli/flags.ts";
import { exitCodeAfter, interruptSignal } from "../cli/interrupt.ts";
import { JSON_FLAG, printJson } from "../cli/json-output.ts";
import { progressBar } from "../report/progress.ts";
import { StatusLine } from "../report/status-line.ts";
import { formatBarChart, formatKeyValues } from "../report/text.ts";

const program = {
  usage: "bun run adaptive:tally",
  summary: "Runs `bun run adaptive` several times and prints the tally of outcomes.",
  flags: {
    json: JSON_FLAG,
    runs: { type: "integer", default: 20, min: 1, max: 10_000, description: "how many runs" },
    transport: {
      type: "choice",
      choices: ["columnar", "objects"],
      default: "columnar",
      description: "passed to each run",
    },
    strategy: {
      type: "choice",
      choices: ["cost-model", "hill-climb"],
      default: "cost-model",
      description: "passed to each run",
    },
  },
} as const;
const flags = readFlags(program);

const OUTCOME = /light settled at (\d+), heavy at (\d+)/;
const adaptiveScript = new URL("./adaptive.ts", import.meta.url).pathname;

interface Outcome {
  readonly light: number;
  readonly heavy: number;
}

const interrupt = interruptSignal("adaptive:tally");

const outcomes: Outcome[] = [];
// One line rewritten in place on a terminal; a line per run elsewhere (a log, CI).
const status = new StatusLine();
for (let run = 1; run <= flags.runs && !interrupt.aborted; run++) {
  const child = Bun.spawn(
    ["bun", adaptiveScript, "--transport", flags.transport, "--strategy", flags.strategy, "--seed", String(run)],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  const match = OUTCOME.exec(stdout);
  if (code !== 0 || match === null) {
    // A run ended by the Ctrl-C (or SIGTERM) that reached this program too, whose own may be a moment behind.
    if (interrupt.aborted || ((code === 130 || code === 143) && (await abortedWithin(interrupt, 1_000)))) break;
    console.error(
      `\n${program.usage}: run ${run} failed (exit ${code}): ${(stderr.trim().split("\n").at(-1) ?? "").slice(0, 200)}`,
    );
    process.exit(1);
  }
  outcomes.push({ light: Number(match[1]), heavy: Number(match[2]) });
  const above = outcomes.filter((o) => o.light > o.heavy).length;
  const line = `${progressBar(run, flags.runs)} run ${run}/${flags.runs}: light above heavy in ${above}`;
  status.show(line);
}
status.end();

const above = outcomes.filter((o) => o.light > o.heavy).length;
console.log(
  `\n${flags.transport} transport, ${flags.strategy} strategy, ${outcomes.length} runs of bun run adaptive (seeds 1-${outcomes.length}):\n`,
);
console.log(
  formatKeyValues([
    ["light above heavy", `${above} of ${outcomes.length}`],
    ["light's final sizes", tally(outcomes.map((o) => o.light))],
    ["heavy's final sizes", tally(outcomes.map((o) => o.heavy))],
  ]),
);
console.log("\nheavy's final size, runs per size:");
console.log(formatBarChart(histogram(outcomes.map((o) => o.heavy)), 30));
if (flags.json) {
  printJson({
    program: "adaptive:tally",
    transport: flags.transport,
    strategy: flags.strategy,
    runs: outcomes.length,
    lightAboveHeavy: above,
    outcomes,
    interrupted: interrupt.aborted,
  });
}
process.exitCode = exitCodeAfter(interrupt, 0);

function tally(sizes: readonly number[]): string {
  return histogram(sizes)
    .map(([size, runs]) => `${size} ×${runs}`)
    .join(", ");
}

function histogram(sizes: readonly number[]): [string, number][] {
  const counts = new Map<number, number>();
  for (const size of sizes) counts.set(size, (counts.get(size) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).map(([size, runs]) => [String(size), runs]);
}

/** True when `signal` is aborted now or within `ms`. */
function abortedWithin(signal: AbortSignal, ms: number): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
