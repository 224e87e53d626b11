/**
 * A status that changes about once a second: on a terminal one line
 * rewritten in place, so it does not push the report off the screen;
 * elsewhere (a pipe, a log, CI) a plain line each time, which is what a log
 * wants.
 */
import { humanStream } from "../cli/json-output.ts";

export class StatusLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  #open = false;

  /** `stream`: where the line goes (standard error when standard output carries data). */
  constructor(stream: NodeJS.WriteStream = humanStream) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  show(line: string): void {
    if (this.#tty) {
      this.#stream.write(`\r${line}\x1b[K`);
      this.#open = true;
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  /** Ends the line being rewritten, so what follows starts on a line of its own. Idempotent. */
  end(): void {
    if (this.#open) this.#stream.write("\n");
    this.#open = false;
  }
}
