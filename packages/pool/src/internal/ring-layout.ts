/**
 * The memory a thread worker shares with its pool for the shared-memory
 * transport, and the words both sides agree on. One `SharedArrayBuffer` per
 * worker holds three regions:
 *
 * - control words: how many entries the pool published, how many the worker
 *   took, how many answers the worker wrote into slots, and the doorbell;
 * - the order queue: one entry per request the pool sent, in the order it
 *   sent them (the order the worker runs them in). An entry names its task
 *   and either a payload slot (the batch is in shared memory) or none (the
 *   request comes by message, and the worker waits for it);
 * - payload slots: a batch's columns, then room for the kernel's output,
 *   behind a small header the worker fills in when it answers.
 *
 * A worker never reads or writes another worker's memory: each has its own
 * buffer, and a replacement worker gets a fresh one.
 */

/** Control words (Int32 indexes). */
export const Control = {
  /** Entries the pool published; the worker waits on it. */
  published: 0,
  /** Entries the worker took. */
  consumed: 1,
  /** Answers written into slots; the pool waits on it (`Atomics.waitAsync`). */
  completed: 2,
  /** 1 while the pool wants a message at the next answer (the doorbell, when it does not wait on `completed`). */
  doorbell: 3,
} as const;
const CONTROL_BYTES = 64;

/** Entries in the order queue. The pool sends a worker at most `backlogDepth` (≤ 1024) tasks at a time. */
export const ENTRY_COUNT = 4096;
/** Int32 words per entry: id, kernelId, claim, ticket, slot (-1: by message), records, state. */
const ENTRY_WORDS = 7;
export const Entry = { id: 0, kernelId: 1, claim: 2, ticket: 3, slot: 4, records: 5, state: 6 } as const;
/** What became of an entry whose request came by message: the worker `took` it, or `skipped` it (taken back). */
export const EntryState = { waiting: 0, took: 1, skipped: 2 } as const;

/** A payload slot's header: state, output kind, output length, pad (Int32), then started and finished (Float64). */
const SLOT_HEADER_BYTES = 32;
export const SlotWord = { state: 0, outputKind: 1, outputLength: 2 } as const;
/** Float64 indexes of the slot header. */
export const SlotTime = { startedAtMs: 2, finishedAtMs: 3 } as const;

/**
 * Where a slot is: `free` (the pool may fill it), `sent` (the worker has it),
 * then the worker says how it ended: `answered` (the output is in the slot),
 * `byMessage` (the answer comes as a message), `skipped` (the pool took the
 * task back before it started).
 */
export const SlotState = { free: 0, sent: 1, answered: 2, byMessage: 3, skipped: 4 } as const;

/** The typed arrays an output may be to travel back in its slot, by code. */
export const OUTPUT_KINDS = [
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  BigInt64Array,
  BigUint64Array,
] as const;
export type OutputArray = InstanceType<(typeof OUTPUT_KINDS)[number]>;

/** The views of one slot: made once, since views of shared memory are kept, not made per batch. */
export interface SlotViews {
  /** The header as Int32 words (`SlotWord`). */
  readonly words: Int32Array;
  /** The header as Float64 (`SlotTime`). */
  readonly times: Float64Array;
  /** The payload: a batch's columns, then its output. */
  readonly payload: Uint8Array;
}

/** The views of one worker's shared memory. */
export interface RingMemory {
  readonly shared: SharedArrayBuffer;
  readonly control: Int32Array;
  readonly entries: Int32Array;
  readonly slots: readonly SlotViews[];
  /** Payload bytes per slot: a batch's columns plus its output. */
  readonly slotBytes: number;
}

/** Allocates a worker's shared memory: `slotCount` slots of `slotBytes` (a multiple of 8). */
export function allocateRing(slotCount: number, slotBytes: number): RingMemory {
  const bytes = CONTROL_BYTES + ENTRY_COUNT * ENTRY_WORDS * 4 + slotCount * (SLOT_HEADER_BYTES + slotBytes);
  return viewRing(new SharedArrayBuffer(bytes), slotCount, slotBytes);
}

/** The views of memory allocated by `allocateRing`, on either side. */
export function viewRing(shared: SharedArrayBuffer, slotCount: number, slotBytes: number): RingMemory {
  const slotsStart = CONTROL_BYTES + ENTRY_COUNT * ENTRY_WORDS * 4;
  const slots = Array.from({ length: slotCount }, (_, slot): SlotViews => {
    const header = slotsStart + slot * (SLOT_HEADER_BYTES + slotBytes);
    return {
      words: new Int32Array(shared, header, SLOT_HEADER_BYTES / 4),
      times: new Float64Array(shared, header, SLOT_HEADER_BYTES / 8),
      payload: new Uint8Array(shared, header + SLOT_HEADER_BYTES, slotBytes),
    };
  });
  return {
    shared,
    control: new Int32Array(shared, 0, CONTROL_BYTES / 4),
    entries: new Int32Array(shared, CONTROL_BYTES, ENTRY_COUNT * ENTRY_WORDS),
    slots,
    slotBytes,
  };
}

/** Int32 index of entry `sequence`'s first word. */
export function entryBase(sequence: number): number {
  return (sequence % ENTRY_COUNT) * ENTRY_WORDS;
}

/** Where the output goes in a slot whose input took `inputBytes`: after it, 8-aligned. */
export function outputStart(inputBytes: number): number {
  return Math.ceil(inputBytes / 8) * 8;
}

/** What the setup message carries so the worker can view the same memory. */
export interface RingSetup {
  readonly ring: SharedArrayBuffer;
  readonly slotCount: number;
  readonly slotBytes: number;
}

/** `Atomics.waitAsync` where the runtime has it (the TypeScript lib in use does not declare it). */
export const waitAsync = (
  Atomics as unknown as {
    readonly waitAsync?: (
      array: Int32Array,
      index: number,
      value: number,
    ) => { readonly async: false; readonly value: string } | { readonly async: true; readonly value: Promise<string> };
  }
).waitAsync?.bind(Atomics);
