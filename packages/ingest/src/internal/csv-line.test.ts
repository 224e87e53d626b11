import { describe, expect, test } from "bun:test";
import { parseCsvLine } from "./csv-line.ts";

describe("parseCsvLine", () => {
  test("plain, quoted, escaped and empty fields", () => {
    expect(parseCsvLine("a,b,c")).toEqual(["a", "b", "c"]);
    expect(parseCsvLine('"a,1","say ""hi""",')).toEqual(["a,1", 'say "hi"', ""]);
    expect(parseCsvLine("")).toEqual([""]);
    expect(parseCsvLine(',"",x')).toEqual(["", "", "x"]);
  });

  test("what cannot be read says why", () => {
    expect(parseCsvLine('"open,b')).toEqual({ problem: "a quoted field is not closed" });
    expect(parseCsvLine('"a"b,c')).toEqual({ problem: "text after a quoted field, at column 4" });
  });
});
