/**
 * The pool's side of one worker's shared memory (see `ring-layout.ts`): it
 * copies a columnar batch into a free slot and publishes it with
 * `Atomics.store` + `Atomics.notify`, publishes an entry for every request
 * that goes by message (so the worker keeps the order the pool sent them in),
 * and collects the answers the worker wrote into slots.
 *
 * It learns of answers without a message per batch: `Atomics.waitAsync` on
 * the answer counter, or, as the fallback (and where `waitAsync` is missing),
 * a doorbell: a word the pool sets while it waits, which the worker clears
 * and answers with one small message. Either way a waiting pool holds no
 * handle of its own; the pool keeps the Worker referenced while the worker
 * holds tasks, which is what keeps the program alive until they answer.
 */
import { type ColumnarBatch, type TaskRequest, type TaskResponse, WorkerCrashedError } from "@poolstream/core";
import {
  allocateRing,
  Control,
  ENTRY_COUNT,
  Entry,
  EntryState,
  entryBase,
  OUTPUT_KINDS,
  outputStart,
  type RingMemory,
  SlotState,
  SlotTime,
  type SlotViews,
  SlotWord,
  waitAsync,
} from "./ring-layout.ts";

/** How the pool learns that a worker wrote answers into its slots. */
export type CompletionSignal = "wait-async" | "message";

/** The message a worker sends when it rings the doorbell. */
export const DOORBELL = "poolstream:ring";

/** A request the worker holds: in slot `slot` (with its views), or (slot -1) by message, at entry `entry`. */
interface HeldSlot {
  readonly slot: number;
  readonly views: SlotViews | undefined;
  readonly id: number;
  readonly entry: number;
  readonly inputBytes: number;
}

/**
 * Where the oldest request the worker holds stands, for the pool: still with
 * the worker, done (answered in its slot, or skipped because the pool took it
 * back), or answered by a message the pool has yet to deliver.
 */
type HeldStatus = "pending" | "done" | "byMessage";

export class RingWriter {
  readonly memory: RingMemory;
  readonly #signal: CompletionSignal;
  readonly #deliver: (response: TaskResponse, receivedAt: number) => void;
  readonly #free: number[];
  /** Slots the worker has, in the order they were published (the order it answers in). */
  #held: HeldSlot[] = [];
  #published = 0;
  #waitAsyncPending = false;
  #closed = false;
  readonly #wake = () => this.wake();

  constructor(
    slotCount: number,
    slotBytes: number,
    signal: CompletionSignal,
    deliver: (response: TaskResponse, receivedAt: number) => void,
  ) {
    this.memory = allocateRing(slotCount, slotBytes);
    this.#signal = signal;
    this.#deliver = deliver;
    this.#free = Array.from({ length: slotCount }, (_, index) => slotCount - 1 - index);
  }

  /**
   * Copies `batch` (the input of `request`) into a free slot and publishes it.
   * False when no slot is free or the batch does not fit one: the caller then
   * sends the request by message.
   */
  publishBatch(request: TaskRequest, batch: ColumnarBatch): boolean {
    const inputBytes = batch.buffer.byteLength;
    if (this.#closed || inputBytes > this.memory.slotBytes) return false;
    const slot = this.#free.pop();
    if (slot === undefined) return false;
    this.checkRoom();
    const views = this.memory.slots[slot] as SlotViews;
    views.payload.set(new Uint8Array(batch.buffer));
    Atomics.store(views.words, SlotWord.state, SlotState.sent);
    this.#held.push({ slot, views, id: request.id, entry: this.#published, inputBytes });
    this.#publish(request, slot, batch.length);
    this.#watch();
    return true;
  }

  /** Publishes the entry of a request just sent by message, so the worker runs it in its turn. */
  publishMessage(request: TaskRequest): void {
    this.checkRoom();
    // Held too: answers in slots after it wait for its message, so the pool hears them in order.
    this.#held.push({ slot: -1, views: undefined, id: request.id, entry: this.#published, inputBytes: 0 });
    this.#publish(request, -1, 0);
    this.#watch();
  }

  /** Collects what the worker answered and waits for more if it still holds slots. */
  wake(): void {
    this.collect();
    this.#watch();
  }

  /**
   * Delivers, in order, every answer the worker wrote into a slot, and frees
   * the slots it is done with. It stops at a task answered by message: the
   * answers after it wait until that message is delivered (`answeredByMessage`),
   * so the pool hears them in the order the worker gave them.
   */
  collect(): void {
    for (let held = this.#held[0]; held !== undefined && !this.#closed; held = this.#held[0]) {
      if (this.#status(held) !== "done") return;
      this.#held.shift();
      if (held.views === undefined) continue; // by message, and skipped: nothing came, nothing to free
      const answered = Atomics.load(held.views.words, SlotWord.state) === SlotState.answered;
      const response = answered ? this.#readAnswer(held, held.views) : undefined;
      this.#freeSlot(held, held.views);
      if (response !== undefined) this.#deliver(response, performance.now());
    }
  }

  /** The answer to task `id` came by message and was delivered: its slot is free, and the answers after it go. */
  answeredByMessage(id: number): void {
    const held = this.#held[0];
    if (held === undefined || held.id !== id || this.#status(held) !== "byMessage") return;
    this.#held.shift();
    if (held.views !== undefined) this.#freeSlot(held, held.views);
    this.wake();
  }

  #status(held: HeldSlot): HeldStatus {
    if (held.views === undefined) {
      const state = Atomics.load(this.memory.entries, entryBase(held.entry) + Entry.state);
      return state === EntryState.skipped ? "done" : state === EntryState.took ? "byMessage" : "pending";
    }
    const state = Atomics.load(held.views.words, SlotWord.state);
    if (state === SlotState.answered || state === SlotState.skipped) return "done";
    return state === SlotState.byMessage ? "byMessage" : "pending";
  }

  #freeSlot(held: HeldSlot, views: SlotViews): void {
    Atomics.store(views.words, SlotWord.state, SlotState.free);
    this.#free.push(held.slot);
  }

  /** The worker is gone: nothing more is read from its memory, and a pending wait is released. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    Atomics.notify(this.memory.control, Control.completed);
  }

  /** A worker that took no entry for `ENTRY_COUNT` sends is hung beyond use: the pool replaces it. */
  checkRoom(): void {
    if (this.#published - Atomics.load(this.memory.control, Control.consumed) >= ENTRY_COUNT) {
      throw new WorkerCrashedError(`worker took none of the last ${ENTRY_COUNT} tasks sent to it`);
    }
  }

  #publish(request: TaskRequest, slot: number, records: number): void {
    const { entries, control } = this.memory;
    const base = entryBase(this.#published);
    entries[base + Entry.id] = request.id;
    entries[base + Entry.kernelId] = request.kernelId;
    entries[base + Entry.claim] = request.claim;
    entries[base + Entry.ticket] = request.ticket;
    entries[base + Entry.slot] = slot;
    entries[base + Entry.records] = records;
    entries[base + Entry.state] = EntryState.waiting;
    // The store publishes the entry's words with it (Atomics are sequentially consistent).
    Atomics.store(control, Control.published, ++this.#published);
    Atomics.notify(control, Control.published);
  }

  #readAnswer(held: HeldSlot, views: SlotViews): TaskResponse {
    const kind = OUTPUT_KINDS[views.words[SlotWord.outputKind] as number] ?? Float64Array;
    const length = views.words[SlotWord.outputLength] as number;
    const start = outputStart(held.inputBytes);
    // Copied out (slice makes a buffer of its own): the slot is reused as soon as it is free.
    const bytes = views.payload.slice(start, start + length * kind.BYTES_PER_ELEMENT);
    return {
      id: held.id,
      ok: true,
      output: new kind(bytes.buffer),
      startedAtMs: views.times[SlotTime.startedAtMs] as number,
      finishedAtMs: views.times[SlotTime.finishedAtMs] as number,
    };
  }

  /**
   * Arranges to be woken when the worker answers, while it holds slots. An
   * answer written before the wait began is seen by the check that follows
   * arming it (the worker writes the slot's state before it counts or rings).
   */
  #watch(): void {
    const held = this.#held[0];
    // An answer by message wakes the pool when it arrives: nothing to wait on until then.
    if (this.#closed || held === undefined || this.#status(held) === "byMessage") return;
    const { control } = this.memory;
    if (this.#signal === "message") {
      Atomics.store(control, Control.doorbell, 1);
      if (this.#status(held) === "done") queueMicrotask(this.#wake);
      return;
    }
    if (this.#waitAsyncPending) return;
    const seen = Atomics.load(control, Control.completed);
    if (this.#status(held) === "done") {
      queueMicrotask(this.#wake);
      return;
    }
    const wait = (waitAsync as NonNullable<typeof waitAsync>)(control, Control.completed, seen);
    if (!wait.async) {
      queueMicrotask(this.#wake);
      return;
    }
    this.#waitAsyncPending = true;
    void wait.value.then(() => {
      this.#waitAsyncPending = false;
      this.wake();
    });
  }
}
