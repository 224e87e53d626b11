/**
 * The worker's side of the shared-memory transport (see `ring-layout.ts`):
 * it takes the pool's entries in order and feeds them to the task runner,
 * and writes an answer that is a typed array and fits back into its slot.
 *
 * While it has nothing to do it blocks in `Atomics.wait` on the published
 * count (blocking is right inside a Worker, and it wakes within
 * microseconds of a publish), for at most `IDLE_WAIT_MS` at a time so that
 * the thread's event loop still runs now and then. An entry whose request
 * comes by message makes it return to the event loop until that message
 * arrives; a task that has to wait (an async kernel, a module still loading)
 * makes it return until the runner is idle again.
 */
import {
  columnarByteLength,
  columnarView,
  type TaskRequest,
  type TaskResponse,
  type TaskStarted,
} from "@poolstream/core";
import { claimTask } from "../claim-board.ts";
import type { TaskRunner } from "../task-runner.ts";
import {
  Control,
  Entry,
  EntryState,
  entryBase,
  OUTPUT_KINDS,
  type OutputArray,
  outputStart,
  type RingMemory,
  SlotState,
  SlotTime,
  type SlotViews,
  SlotWord,
} from "./ring-layout.ts";

/** The longest the worker blocks before letting its event loop run. */
const IDLE_WAIT_MS = 250;

export interface RingReader {
  /** Takes entries and runs them until there is none, or one must wait. */
  pump(): void;
  /** A request that came by message: it runs when its entry's turn comes. */
  received(request: TaskRequest): void;
  /** Writes an answer to a task that came in a slot into that slot; false when it must go as a message. */
  answer(message: TaskResponse | TaskStarted): boolean;
}

interface SlotTask {
  readonly views: SlotViews;
  readonly inputBytes: number;
}

/** `ringDoorbell` posts the doorbell message; `claims` is the worker's claim board, if it shares one. */
export function createRingReader(
  memory: RingMemory,
  runner: TaskRunner,
  claims: () => Int32Array | undefined,
  ringDoorbell: () => void,
): RingReader {
  const { control, entries, slots } = memory;
  const arrived = new Map<number, TaskRequest>();
  const inSlots = new Map<number, SlotTask>();
  let consumed = 0;
  /** The ticket of the request by message the next entry waits for. */
  let awaiting: number | undefined;
  let pumping = false;

  function take(): void {
    consumed++;
    Atomics.store(control, Control.consumed, consumed);
  }

  /** The slot's state is written first, then counted and rung: the pool reads the state after either. */
  function finishSlot(views: SlotViews, state: number): void {
    Atomics.store(views.words, SlotWord.state, state);
    if (state !== SlotState.byMessage) signal();
  }

  /** Tells a pool that may be waiting that a slot or an entry changed. */
  function signal(): void {
    Atomics.add(control, Control.completed, 1);
    Atomics.notify(control, Control.completed);
    if (Atomics.compareExchange(control, Control.doorbell, 1, 0) === 1) ringDoorbell();
  }

  function runFromSlot(id: number, kernelId: number, views: SlotViews, records: number): void {
    const inputBytes = columnarByteLength(records);
    // Copied out into a buffer of its own: the kernel gets exactly what transferred columns give it,
    // and may keep or return its input without aliasing memory the pool reuses.
    const { buffer } = views.payload.slice(0, inputBytes);
    inSlots.set(id, { views, inputBytes });
    runner.receive({ id, kernelId, input: columnarView(buffer, records), claim: -1, ticket: 0 });
  }

  function pump(): void {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        if (runner.busy) return; // the runner calls pump again when it is idle
        const published = Atomics.load(control, Control.published);
        if (consumed === published) {
          if (Atomics.wait(control, Control.published, published, IDLE_WAIT_MS) === "timed-out") {
            setTimeout(pump, 0);
            return;
          }
          continue;
        }
        const base = entryBase(consumed);
        const id = entries[base + Entry.id] as number;
        const slot = entries[base + Entry.slot] as number;
        const claim = entries[base + Entry.claim] as number;
        const ticket = entries[base + Entry.ticket] as number;
        // Its message was posted before its entry: once the event loop has run, it is here.
        const request = slot < 0 ? arrived.get(ticket) : undefined;
        if (slot < 0 && request === undefined) {
          awaiting = ticket; // `received` calls pump again when it comes
          return;
        }
        take();
        // False when the pool took it back before it started (moved to another worker, or aborted).
        const starts = claimTask(claims(), ticket, claim);
        if (request !== undefined) {
          arrived.delete(ticket);
          Atomics.store(entries, base + Entry.state, starts ? EntryState.took : EntryState.skipped);
          if (starts) runner.receive({ ...request, claim: -1 });
          else signal();
          continue;
        }
        const views = slots[slot] as SlotViews;
        if (starts)
          runFromSlot(id, entries[base + Entry.kernelId] as number, views, entries[base + Entry.records] as number);
        else finishSlot(views, SlotState.skipped); // never read
      }
    } finally {
      pumping = false;
    }
  }

  return {
    pump,
    received(request) {
      // By ticket, not id: a task taken back and sent again has two requests, and each must meet its own entry.
      arrived.set(request.ticket, request);
      if (awaiting !== request.ticket) return;
      awaiting = undefined;
      pump();
    },
    answer(message) {
      if (!("ok" in message)) return false;
      const task = inSlots.get(message.id);
      if (task === undefined) return false;
      inSlots.delete(message.id);
      if (!message.ok || !writeOutput(task, message.output)) {
        finishSlot(task.views, SlotState.byMessage);
        return false;
      }
      task.views.times[SlotTime.startedAtMs] = message.startedAtMs;
      task.views.times[SlotTime.finishedAtMs] = message.finishedAtMs;
      finishSlot(task.views, SlotState.answered);
      return true;
    },
  };

  /** Writes a typed-array output after the input in its slot; false when it is not one or does not fit. */
  function writeOutput(task: SlotTask, output: unknown): boolean {
    const kind = OUTPUT_KINDS.findIndex((type) => output instanceof type);
    if (kind < 0) return false;
    const array = output as OutputArray;
    const start = outputStart(task.inputBytes);
    if (start + array.byteLength > memory.slotBytes) return false;
    task.views.payload.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), start);
    task.views.words[SlotWord.outputKind] = kind;
    task.views.words[SlotWord.outputLength] = array.length;
    return true;
  }
}
