/**
 * The script every thread Worker of a `WorkerPool` runs: a task runner (see
 * `task-runner.ts`) wired to the Worker's messages. The pool's first message
 * is its claim board. Later ones are task requests, and, the first time the
 * pool sends this worker a columnar batch, the shared memory of the
 * shared-memory transport: from then on the worker takes its tasks in the
 * order of that memory's queue (see `ring-reader.ts`), and requests that come
 * by message wait there for their turn.
 */
import type { TaskRequest } from "@poolstream/core";
import { createTaskRunner } from "../task-runner.ts";
import { type RingSetup, viewRing } from "./ring-layout.ts";
import { createRingReader, type RingReader } from "./ring-reader.ts";
import { DOORBELL } from "./ring-writer.ts";

declare const self: Worker;

let ring: RingReader | undefined;
let claims: Int32Array | undefined;

const runner = createTaskRunner(
  {
    post(message, transfer) {
      if (ring?.answer(message) === true) return;
      if (transfer === undefined || transfer.length === 0) self.postMessage(message);
      else self.postMessage(message, transfer as Transferable[]);
    },
  },
  { onIdle: () => ring?.pump() },
);

self.onmessage = (event: MessageEvent<TaskRequest | { readonly claims: Int32Array } | RingSetup>) => {
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
  } else if (ring !== undefined) ring.received(message);
  else runner.receive(message);
};
