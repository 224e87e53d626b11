/**
 * Lines of a byte stream, with their numbers and where each ends, in bytes:
 * the position a reader resumes from. Lines come in groups, one per chunk
 * read, so that a fast reader does not pay an await per line. A line longer
 * than the limit is not held in memory: it is reported as too long (with its
 * number and size) and skipped. Invalid UTF-8 reads as U+FFFD, for the parser
 * to refuse; a trailing `\r` is dropped.
 */

export interface Line {
  /** The line's text, without its end; undefined for a line over the limit. */
  readonly text: string | undefined;
  /** 1 for the first line of the stream (counting from where reading resumed). */
  readonly number: number;
  /** Byte offset just past this line's end: where a reader resumes to read the line after it. */
  readonly end: number;
  /** The line's size in bytes, without its newline. */
  readonly bytes: number;
}

const NEWLINE = 0x0a;

/** Reads `stream` as lines, the first numbered `firstNumber` and starting at byte `startOffset`. */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  options: { readonly startOffset: number; readonly firstNumber: number; readonly maxLineBytes: number },
): AsyncGenerator<Line[]> {
  const decoder = new TextDecoder();
  let offset = options.startOffset;
  let number = options.firstNumber;
  // The start of a line that continues past the chunk: its bytes so far (empty once it is known to be too long).
  let partial: Uint8Array[] = [];
  let partialBytes = 0;
  let tooLong = false;
  for await (const chunk of stream) {
    const lines: Line[] = [];
    // Decoded once per chunk: where it is all ASCII (most sensor data), characters are bytes, and lines are
    // cut from the string; otherwise each line is decoded from its own bytes.
    const text = decoder.decode(chunk);
    const ascii = text.length === chunk.length;
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end < 0) break;
      const bytes = partialBytes + (end - start);
      let line: string | undefined;
      if (!tooLong && bytes <= options.maxLineBytes) {
        if (partialBytes === 0) line = ascii ? text.slice(start, end) : decoder.decode(chunk.subarray(start, end));
        else line = decoder.decode(concat([...partial, chunk.subarray(start, end)], bytes));
        if (line.endsWith("\r")) line = line.slice(0, -1);
      }
      offset += bytes + 1;
      lines.push({ text: line, number: number++, end: offset, bytes });
      partial = [];
      partialBytes = 0;
      tooLong = false;
      start = end + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      partialBytes += rest.length;
      if (partialBytes > options.maxLineBytes) {
        tooLong = true;
        partial = [];
      } else {
        partial.push(rest.slice());
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (partialBytes > 0 || tooLong) {
    // The last line has no end: it is a line all the same.
    const bytes = partialBytes;
    const text = tooLong ? undefined : decoder.decode(concat(partial, bytes)).replace(/\r$/, "");
    offset += bytes;
    yield [{ text, number, end: offset, bytes }];
  }
}

function concat(pieces: readonly Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}
