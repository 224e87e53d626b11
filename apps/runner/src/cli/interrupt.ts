/**
 * Ctrl-C for the runner's programs: the first SIGINT says what happens and
 * fires the returned signal (the pipeline drains and reports); a second one
 * exits at once, for a person who does not want to wait.
 */
export function interruptSignal(program: string): AbortSignal {
  const controller = new AbortController();
  process.once("SIGINT", () => {
    console.log(
      `\n[${program}] interrupted: stopping the input, draining what was ingested (Ctrl-C again to quit now)...`,
    );
    controller.abort("SIGINT");
    process.once("SIGINT", () => process.exit(130));
  });
  return controller.signal;
}
