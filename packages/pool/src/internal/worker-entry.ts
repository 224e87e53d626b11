/**
 * The script every thread Worker of a `WorkerPool` runs: a task runner (see
 * `task-runner.ts`) wired to the Worker's messages. The pool's first message
 * is its claim board. Later ones are task requests, and, the first time the
 * pool sends this worker a columnar batch, the shared memory of the
 * shared-memory transport: from then on the worker takes its tasks in the
 * order of that memory's queue (see `ring-reader.ts`), and requests that come
 * by message wait there for their turn.
 *
 * Several requests may come in one message (see `outbox.ts`). The answers of
 * the quick ones go back together: an answer waits for the next at most
 * `MAX_ANSWER_HOLD_MS`, and the answers held are sent before a task whose
 * kernel took longer than that here last time or has not run here yet, and at
 * the end of the message. A task with a timeout is neither held back nor
 * holds answers back: they are sent before it starts, and its own answer as
 * soon as it is given, so the pool's clock for it runs as it does. A task
 * without a timeout that is slower than its kernel was holds the
 * answers before it until it ends (for ever, if it hangs); the pool, which
 * tells the task a worker runs by the claim board rather than by the answers
 * it has, blames only that task if it crashes, and runs the others again.
 * Once the shared-memory transport is set up, requests come one a message and
 * nothing is held: that worker blocks waiting for work in shared memory, and
 * must not hold answers while it does.
 */
import { serializeError, type TaskRequest, type TaskResponse, type TaskStarted } from "@poolstream/core";
import { createTaskRunner } from "../task-runner.ts";
import type { RequestBatch, ResponseBatch } from "./outbox.ts";
import { type RingSetup, viewRing } from "./ring-layout.ts";
import { createRingReader, type RingReader } from "./ring-reader.ts";
import { DOORBELL } from "./ring-writer.ts";

declare const self: Worker;

type Answer = TaskResponse | TaskStarted;
interface HeldAnswer {
  readonly message: Answer;
  readonly transfer: readonly Transferable[] | undefined;
}

/** The longest an answer waits for the answers after it. */
const MAX_ANSWER_HOLD_MS = 0.1;

let ring: RingReader | undefined;
let claims: Int32Array | undefined;
/** While the requests of one message are handled (without shared memory): the answers held. */
let held: HeldAnswer[] | undefined;
/** When the oldest of `held` was given. */
let oldestHeldAt = 0;
/** How long the last task of each kernel took here (its synchronous part), by kernel id. */
const lastTaskMs = new Map<number, number>();

const runner = createTaskRunner(
  {
    post(message, transfer) {
      if (ring?.answer(message) === true) return;
      if (held === undefined) {
        postAnswer(message, transfer);
        return;
      }
      if (held.length === 0) oldestHeldAt = performance.now();
      held.push({ message, transfer });
    },
  },
  { onIdle: () => ring?.pump() },
);

function postAnswer(message: Answer, transfer: readonly Transferable[] | undefined): void {
  if (transfer === undefined || transfer.length === 0) self.postMessage(message);
  else self.postMessage(message, transfer as Transferable[]);
}

/** The requests of one message, in order; the answers of quick tasks are held to go back together. */
function receiveAll(requests: readonly TaskRequest[]): void {
  if (ring !== undefined) {
    // The pool sends no batches once the ring is set up; one sent just before goes in order, unheld.
    for (const request of requests) ring.received(request);
    return;
  }
  held = [];
  try {
    for (const request of requests) {
      const lastMs = lastTaskMs.get(request.kernelId);
      const mayTakeLong = request.timed === true || lastMs === undefined || lastMs >= MAX_ANSWER_HOLD_MS;
      if (held.length > 0 && (mayTakeLong || performance.now() - oldestHeldAt >= MAX_ANSWER_HOLD_MS)) {
        sendAnswers(held.splice(0));
      }
      const start = performance.now();
      runner.receive(request);
      lastTaskMs.set(request.kernelId, performance.now() - start);
      if (request.timed === true && held.length > 0) sendAnswers(held.splice(0));
    }
  } finally {
    const answers = held;
    held = undefined;
    sendAnswers(answers);
  }
}

/** Sends answers, as one message when there are several. */
function sendAnswers(answers: readonly HeldAnswer[]): void {
  if (answers.length === 0) return;
  if (answers.length > 1) {
    const transfer: Transferable[] = [];
    for (const answer of answers) if (answer.transfer !== undefined) transfer.push(...answer.transfer);
    try {
      self.postMessage(
        { responses: answers.map((answer) => answer.message) } satisfies ResponseBatch<Answer>,
        transfer,
      );
      return;
    } catch {
      // An output cannot be cloned, and nothing went: each on its own below.
    }
  }
  for (const answer of answers) {
    try {
      postAnswer(answer.message, answer.transfer);
    } catch (error) {
      // As the task runner does: an output that cannot be cloned fails its task.
      self.postMessage({ id: answer.message.id, ok: false, error: serializeError(error) } satisfies TaskResponse);
    }
  }
}

self.onmessage = (event: MessageEvent<TaskRequest | RequestBatch | { readonly claims: Int32Array } | RingSetup>) => {
  const message = event.data;
  if ("claims" in message) {
    claims = message.claims;
    runner.useClaims(message.claims);
  } else if ("ring" in message) {
    const memory = viewRing(message.ring, message.slotCount, message.slotBytes);
    ring = createRingReader(
      memory,
      runner,
      () => claims,
      () => self.postMessage(DOORBELL),
    );
    ring.pump();
  } else if ("requests" in message) receiveAll(message.requests);
  else if (ring !== undefined) ring.received(message);
  else runner.receive(message);
};
