import { describe, expect, test } from "bun:test";
import { formatHelp, parseFlags, UsageError } from "./flags.ts";

const program = {
  usage: "bun run demo",
  summary: "A demo.",
  flags: {
    count: { type: "integer", default: 3, min: 1, description: "how many" },
    rate: { type: "number", default: 0.5, min: 0, max: 1, description: "a share" },
    path: { type: "string", description: "where", placeholder: "file" },
    serve: { type: "string", description: "a port", placeholder: "port", whenBare: "8080" },
  },
} as const;

describe("parseFlags", () => {
  test("defaults, conversions and both --flag value and --flag=value forms", () => {
    expect(parseFlags(program, [])).toEqual({ count: 3, rate: 0.5, path: undefined, serve: undefined });
    expect(parseFlags(program, ["--count", "7", "--rate=0.25", "--path", "x.db"])).toEqual({
      count: 7,
      rate: 0.25,
      path: "x.db",
      serve: undefined,
    });
    // A flag with a value for when it is given alone.
    expect(parseFlags(program, ["--serve"])).toMatchObject({ serve: "8080" });
    expect(parseFlags(program, ["--serve", "--count", "2"])).toMatchObject({ serve: "8080", count: 2 });
    expect(parseFlags(program, ["--serve", "9000"])).toMatchObject({ serve: "9000" });
    expect(parseFlags(program, ["--help"])).toBe("help");
  });

  test("bad flags and values are usage errors with one clear line", () => {
    const cases = [
      ["--nope"],
      ["--count", "x"],
      ["--count", "1.5"],
      ["--count", "0"],
      ["--rate", "2"],
      ["--rate", ""],
      ["stray"],
      ["--count", "-1"],
      ["--rate", "-0.5"],
    ];
    for (const argv of cases) {
      const error = (() => {
        try {
          parseFlags(program, argv);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).not.toContain("\n");
      // A negative number is the flag's value, refused by its range, not an "ambiguous argument".
      if (argv[1]?.startsWith("-")) expect((error as Error).message).toContain(`--${argv[0]?.slice(2)} must be >=`);
    }
  });

  test("help lists every flag with its default", () => {
    const help = formatHelp(program);
    expect(help).toContain("--count <n>");
    expect(help).toContain("(default 0.5)");
    expect(help).toContain("--path <file>");
    expect(help).toContain("--serve [port]");
    expect(help).toContain("(alone: 8080)");
  });
});
