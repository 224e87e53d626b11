/**
 * A program ends when the process that started it goes away. `bun run start`
 * runs the program as a child of the `bun run` wrapper; when the wrapper is
 * killed outright (`kill -9`, a closed terminal, a supervisor giving up), the
 * child is handed to init and would go on computing, and writing its
 * dead-letter log, with nobody to read its output. Linux has no portable
 * "tell me when my parent dies" from Bun, so the parent's pid is checked four
 * times a second; the check holds nothing open.
 */
const CHECK_EVERY_MS = 250;

/** Exits with code 129 (as after SIGHUP) once the parent process is gone. */
export function exitWithParent(program: string): void {
  const parent = process.ppid;
  if (parent <= 1) return; // started by init already: there is no parent to outlive
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    try {
      console.error(`[${program}] the process that started it is gone: exiting`);
    } catch {
      // stderr may be closed with the parent; exiting is what matters
    }
    process.exit(129);
  }, CHECK_EVERY_MS);
  timer.unref();
}
