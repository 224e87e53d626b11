/**
 * Ctrl-C and SIGTERM for the runner's programs. The first SIGINT or SIGTERM
 * says what happens and fires the returned signal: the program stops taking
 * input, drains what it has, prints its report and exits with 130 (SIGINT)
 * or 143 (SIGTERM), as `exitCodeAfter` tells it.
 *
 * A second SIGINT within a second of the first is the same request, not a
 * second one: `bun run` forwards the terminal's Ctrl-C to the program, which
 * also gets the terminal's own copy, and treating the pair as "quit now" lost
 * the report. A deliberate later SIGINT or SIGTERM ends the program at once.
 */

/** How long after the first signal a second one is taken as the same request. */
const SAME_REQUEST_MS = 1_000;

export function interruptSignal(program: string, now: () => number = () => performance.now()): AbortSignal {
  const controller = new AbortController();
  let firstAt: number | undefined;
  const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
    const at = now();
    if (firstAt === undefined) {
      firstAt = at;
      console.error(
        `\n[${program}] ${name === "SIGINT" ? "interrupted" : "asked to stop (SIGTERM)"}: stopping the input, finishing what it holds, then the report (Ctrl-C again to quit now)`,
      );
      controller.abort(name);
      return;
    }
    if (at - firstAt < SAME_REQUEST_MS) return;
    console.error(`[${program}] quitting now, without the report`);
    process.exit(name === "SIGTERM" ? 143 : 130);
  };
  process.on("SIGINT", onSignal("SIGINT"));
  process.on("SIGTERM", onSignal("SIGTERM"));
  return controller.signal;
}

/** The exit code after a run: 130 after SIGINT, 143 after SIGTERM, else `otherwise`. */
export function exitCodeAfter(interrupt: AbortSignal, otherwise: number): number {
  if (!interrupt.aborted) return otherwise;
  return interrupt.reason === "SIGTERM" ? 143 : 130;
}
