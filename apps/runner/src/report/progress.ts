/**
 * A progress line for work whose total is known: a bar, the count, the rate
 * and the time left, at most once a second. On a terminal it is one line
 * rewritten in place; elsewhere (CI, a pipe) a plain line each time.
 */
import { StatusLine } from "./status-line.ts";
import { formatNumber } from "./text.ts";

/** `[#####.....]` for `done` of `total`. */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #unit: string;
  readonly #started = performance.now();
  readonly #line = new StatusLine();
  #lastPrintMs = Number.NEGATIVE_INFINITY;
  #done = 0;
  /** The count on the last line printed; -1 before any. */
  #printedDone = -1;

  constructor(label: string, total: number, unit: string) {
    this.#label = label;
    this.#total = total;
    this.#unit = unit;
  }

  /** `done` of the total are finished; prints if a second has passed since the last line. */
  update(done: number): void {
    this.#done = done;
    const now = performance.now();
    if (now - this.#lastPrintMs < 1000) return;
    this.#lastPrintMs = now;
    this.#print(now);
  }

  /** Prints the last state (unless that line is already out) and ends the line. */
  finish(): void {
    if (this.#printedDone !== this.#done) this.#print(performance.now());
    this.#line.end();
  }

  #print(now: number): void {
    this.#printedDone = this.#done;
    const elapsedSec = (now - this.#started) / 1000;
    const rate = elapsedSec > 0 ? this.#done / elapsedSec : 0;
    const left = rate > 0 ? (this.#total - this.#done) / rate : Number.NaN;
    const eta =
      this.#done >= this.#total
        ? `done in ${elapsedSec.toFixed(1)} s`
        : Number.isFinite(left)
          ? `${left.toFixed(0)} s left`
          : "";
    const line = `${this.#label} ${progressBar(this.#done, this.#total)} ${formatNumber(this.#done)}/${formatNumber(this.#total)} ${this.#unit} · ${formatNumber(Math.round(rate))}/s · ${eta}`;
    this.#line.show(line);
  }
}
