/**
 * Who starts a task that was sent to a worker: the worker, or nobody because
 * the pool took it back. A worker that is stuck on one task cannot answer a
 * message, so the decision lives in a `SharedArrayBuffer` both sides can
 * reach: one cell per task the worker holds, settled by a compare-and-swap.
 * Exactly one side wins a cell, so a task the pool moves elsewhere never also
 * runs where it was first sent, and a task the worker started is never moved.
 *
 * Each time the pool offers a task to a worker it draws a fresh ticket, and
 * the cell holds `2 × ticket` while the task waits, `2 × ticket + 1` once the
 * worker claimed it, and `WITHDRAWN` once the pool took it back. Tickets are
 * folded into 30 bits; a cell is reused only after its task left the worker,
 * and a stale request (the worker reads it after its cell went to another
 * send, even a later send of the same task into the same cell) loses the
 * swap, because the cell no longer holds that request's `2 × ticket`.
 */

const WITHDRAWN = -1;
const ID_BITS = 0x3fffffff;

function waiting(ticket: number): number {
  return (ticket & ID_BITS) * 2;
}

/** The pool's side: a board per worker, with as many cells as tasks the worker may hold. */
export class ClaimBoard {
  /** Shared with the worker, which claims cells with `claimTask`. */
  readonly cells: Int32Array;
  readonly #free: number[];
  #nextTicket = 1;

  constructor(size: number) {
    this.cells = new Int32Array(new SharedArrayBuffer(size * Int32Array.BYTES_PER_ELEMENT)).fill(WITHDRAWN);
    this.#free = Array.from({ length: size }, (_, index) => size - 1 - index);
  }

  /**
   * Marks a task as waiting in a free cell, under a fresh ticket, and returns
   * both (the request carries them). Throws when every cell is taken.
   */
  offer(): { readonly cell: number; readonly ticket: number } {
    const cell = this.#free.pop();
    if (cell === undefined) throw new Error("claim board is full: a worker was sent more tasks than it may hold");
    const ticket = this.#nextTicket;
    this.#nextTicket = (this.#nextTicket + 1) & ID_BITS || 1;
    Atomics.store(this.cells, cell, waiting(ticket));
    return { cell, ticket };
  }

  /** Takes back the send `ticket` in `cell` if the worker has not started it; true when it will never start there. */
  withdraw(ticket: number, cell: number): boolean {
    const expected = waiting(ticket);
    return Atomics.compareExchange(this.cells, cell, expected, WITHDRAWN) === expected;
  }

  /** True once the worker started the send `ticket` in `cell` (and so finished every task it was sent before). */
  started(ticket: number, cell: number): boolean {
    return Atomics.load(this.cells, cell) === waiting(ticket) + 1;
  }

  /** The task in `cell` left the worker (answered, withdrawn): the cell can take another. */
  release(cell: number): void {
    this.#free.push(cell);
  }
}

/**
 * The worker's side: true when the worker may start the send `ticket` in
 * `cell`, false when the pool took it back. Without a board or a cell (-1),
 * nobody can take it back: true.
 */
export function claimTask(cells: Int32Array | undefined, ticket: number, cell: number): boolean {
  if (cells === undefined || cell < 0) return true;
  const expected = waiting(ticket);
  return Atomics.compareExchange(cells, cell, expected, expected + 1) === expected;
}

/** The worker's side: true while request `request` still waits in its cell (not withdrawn, not replaced). */
export function isStillWaiting(
  cells: Int32Array,
  request: { readonly ticket: number; readonly claim: number },
): boolean {
  return request.claim < 0 || Atomics.load(cells, request.claim) === waiting(request.ticket);
}
