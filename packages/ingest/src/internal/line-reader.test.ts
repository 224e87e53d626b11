import { describe, expect, test } from "bun:test";
import { type Line, readLines } from "./line-reader.ts";

/** A stream of `text`'s bytes, cut into chunks of `size`. */
function streamOf(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function lines(text: string | Uint8Array, size: number, maxLineBytes = 1000, startOffset = 0): Promise<Line[]> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const out: Line[] = [];
  for await (const group of readLines(streamOf(bytes, size), { startOffset, firstNumber: 1, maxLineBytes }))
    out.push(...group);
  return out;
}

describe("readLines", () => {
  test("every chunk size gives the same lines, numbers and byte offsets, UTF-8 included", async () => {
    const text = 'a\n{"é":1}\r\n\nlast without end';
    const expected = [
      { text: "a", number: 1, end: 2, bytes: 1 },
      { text: '{"é":1}', number: 2, end: 12, bytes: 9 }, // é is 2 bytes; the \r is counted, not kept
      { text: "", number: 3, end: 13, bytes: 0 },
      { text: "last without end", number: 4, end: 29, bytes: 16 },
    ];
    for (const size of [1, 2, 3, 5, 8, 64]) expect(await lines(text, size)).toEqual(expected);
  });

  test("an offset is where the next line starts: reading from it gives the rest", async () => {
    const text = "one\ntwo\nthree\n";
    const all = await lines(text, 4);
    const second = all[0]?.end ?? 0;
    const bytes = new TextEncoder().encode(text).slice(second);
    const rest = await lines(bytes, 3, 1000, second);
    expect(rest.map((line) => [line.text, line.end])).toEqual([
      ["two", 8],
      ["three", 14],
    ]);
  });

  test("a line over the limit is reported without its text, and the next line is read", async () => {
    const long = "x".repeat(50);
    for (const size of [7, 64]) {
      const got = await lines(`short\n${long}\nafter\n`, size, 20);
      expect(got.map((line) => [line.text, line.bytes, line.number])).toEqual([
        ["short", 5, 1],
        [undefined, 50, 2],
        ["after", 5, 3],
      ]);
    }
    const unterminated = await lines(`ok\n${long}`, 8, 20);
    expect(unterminated.at(-1)).toMatchObject({ text: undefined, bytes: 50, number: 2 });
  });

  test("an empty stream has no lines; invalid UTF-8 reads as replacement characters", async () => {
    expect(await lines("", 4)).toEqual([]);
    const garbage = new Uint8Array([0xff, 0xfe, 0x41, 0x0a]);
    expect((await lines(garbage, 2))[0]?.text).toBe("\uFFFD\uFFFDA");
  });
});
