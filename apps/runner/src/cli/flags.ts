/**
 * Command-line flags for the runner's programs: declared once with their type,
 * default, range and help text; parsed strictly. `--help` prints usage; a bad
 * flag or value prints one line and exits with code 2.
 */
import { parseArgs } from "node:util";
import { useJsonOutput } from "./json-output.ts";
import { exitWithParent } from "./parent-watch.ts";

interface FlagBase {
  readonly description: string;
}
export interface IntegerFlag extends FlagBase {
  readonly type: "integer";
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
}
export interface NumberFlag extends FlagBase {
  readonly type: "number";
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
}
export interface StringFlag extends FlagBase {
  readonly type: "string";
  readonly default?: string;
  readonly placeholder?: string;
  /** The value of the flag given alone (`--dashboard` for `--dashboard 8080`); without it, a value is needed. */
  readonly whenBare?: string;
}
/** One of a few words, e.g. `--lanes fifo|priority`. */
export interface ChoiceFlag<C extends string = string> extends FlagBase {
  readonly type: "choice";
  readonly choices: readonly C[];
  readonly default: C;
}
/** On when given (`--json`), off otherwise. */
export interface BooleanFlag extends FlagBase {
  readonly type: "boolean";
}
export type FlagSpec = IntegerFlag | NumberFlag | StringFlag | ChoiceFlag | BooleanFlag;

export type FlagValues<S extends Record<string, FlagSpec>> = {
  readonly [K in keyof S]: S[K] extends ChoiceFlag<infer C>
    ? C
    : S[K] extends BooleanFlag
      ? boolean
      : S[K] extends StringFlag
        ? S[K]["default"] extends string
          ? string
          : string | undefined
        : number;
};

export interface Program<S extends Record<string, FlagSpec>> {
  /** How it is run, e.g. "bun run start". */
  readonly usage: string;
  readonly summary: string;
  readonly flags: S;
}

/** A flag or value the program cannot accept. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Parses `argv` against `program`; throws `UsageError` on anything it cannot accept. Returns `"help"` for --help. */
export function parseFlags<const S extends Record<string, FlagSpec>>(
  program: Program<S>,
  argv: readonly string[],
): FlagValues<S> | "help" {
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const [name, spec] of Object.entries(program.flags)) {
    options[name] = { type: spec.type === "boolean" ? "boolean" : "string" };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: normalize(program, argv), options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? "bad arguments");
  }
  if (parsed.values.help === true) return "help";
  const values: Record<string, number | string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(program.flags)) {
    const raw = parsed.values[name];
    if (spec.type === "boolean") values[name] = raw === true;
    else values[name] = typeof raw === "string" ? convert(name, spec, raw) : spec.default;
  }
  return values as FlagValues<S>;
}

/**
 * What `parseArgs` is given: a negative number after a flag is that flag's
 * value (`--batch-size -1` reaches the range check, rather than being read
 * as an unknown option "-1"), and a flag with a `whenBare` value given alone
 * gets that value.
 */
function normalize(program: Program<Record<string, FlagSpec>>, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const spec = arg.startsWith("--") && !arg.includes("=") ? program.flags[arg.slice(2)] : undefined;
    const next = argv[i + 1];
    if (spec !== undefined && spec.type !== "boolean" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else if (
      spec?.type === "string" &&
      spec.whenBare !== undefined &&
      (next === undefined || next.startsWith("--"))
    ) {
      out.push(`${arg}=${spec.whenBare}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

function convert(name: string, spec: Exclude<FlagSpec, BooleanFlag>, raw: string): number | string {
  if (spec.type === "choice") {
    if (!spec.choices.includes(raw))
      throw new UsageError(`--${name} must be ${spec.choices.join(" or ")}, got "${raw}"`);
    return raw;
  }
  if (spec.type === "string") {
    if (raw === "") throw new UsageError(`--${name} needs a value`);
    return raw;
  }
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
  if (spec.type === "integer" && !Number.isInteger(value))
    throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  if (spec.min !== undefined && value < spec.min) throw new UsageError(`--${name} must be >= ${spec.min}, got ${raw}`);
  if (spec.max !== undefined && value > spec.max) throw new UsageError(`--${name} must be <= ${spec.max}, got ${raw}`);
  return value;
}

/** The text `--help` prints. */
export function formatHelp<S extends Record<string, FlagSpec>>(program: Program<S>): string {
  const rows: [string, string][] = Object.entries(program.flags).map(([name, spec]) => {
    const placeholder =
      spec.type === "boolean"
        ? ""
        : spec.type === "choice"
          ? `<${spec.choices.join("|")}>`
          : spec.type === "string"
            ? spec.whenBare === undefined
              ? `<${spec.placeholder ?? "value"}>`
              : `[${spec.placeholder ?? "value"}]`
            : spec.type === "integer"
              ? "<n>"
              : "<x>";
    const fallback =
      spec.type === "boolean"
        ? ""
        : spec.type === "string" && spec.whenBare !== undefined
          ? ` (alone: ${spec.whenBare})`
          : spec.default === undefined
            ? ""
            : ` (default ${spec.default})`;
    return [`  --${name}${placeholder === "" ? "" : ` ${placeholder}`}`, `${spec.description}${fallback}`];
  });
  rows.push(["  --help", "show this help"]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `Usage: ${program.usage} [flags]`,
    "",
    program.summary,
    "",
    "Flags:",
    ...rows.map(([l, r]) => l.padEnd(width) + r),
  ].join("\n");
}

/** A port given to flag `--<flag>` (0 picks a free one), or undefined when not given; one line and exit 2 otherwise. */
export function parsePort(
  program: Pick<Program<Record<string, FlagSpec>>, "usage">,
  flag: string,
  raw: string | undefined,
): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    failUsage(program, `--${flag} must be a port from 0 to 65535, got "${raw}"`);
  }
  return port;
}

/** Prints `message` as a program's one-line usage error and exits with code 2. */
export function failUsage(program: Pick<Program<Record<string, FlagSpec>>, "usage">, message: string): never {
  console.error(`${program.usage}: ${message} (see --help)`);
  process.exit(2);
}

/**
 * The program front door: parses `process.argv`, prints help and exits 0 on
 * --help, prints one line and exits 2 on a bad flag, else returns the values
 * and has the program end when its parent process does (`exitWithParent`).
 */
export function readFlags<const S extends Record<string, FlagSpec>>(
  program: Program<S>,
  argv = process.argv.slice(2),
): FlagValues<S> {
  try {
    const values = parseFlags(program, argv);
    if (values === "help") {
      console.log(formatHelp(program));
      process.exit(0);
    }
    exitWithParent(program.usage);
    // A program with --json keeps standard output for the JSON: text for a person goes to standard error.
    useJsonOutput((values as Record<string, unknown>).json === true);
    return values;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    failUsage(program, error.message);
  }
}
