/**
 * `--json`: the final report as one JSON object on standard output, and
 * nothing else there, for scripts and CI. Everything meant for a person
 * (status lines, the text report) goes to standard error instead, so a
 * script can still show it.
 */

/** Where text for a person goes: standard error with `--json`, standard output otherwise. */
export let humanStream: NodeJS.WriteStream = process.stdout;

/** With `json`, sends `console.log` and `humanStream` to standard error. `readFlags` calls it. */
export function useJsonOutput(json: boolean): void {
  if (!json) return;
  humanStream = process.stderr;
  console.log = (...parts: unknown[]) => console.error(...parts);
}

/** Writes `report` as one line of JSON to standard output (NaN and ±Infinity as null, as JSON has them). */
export function printJson(report: unknown): void {
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** The `--json` flag, the same in every program. */
export const JSON_FLAG = {
  type: "boolean",
  description: "print the final report as one JSON object on standard output (the text report goes to standard error)",
} as const;
