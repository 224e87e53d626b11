/**
 * Workers as Bun Worker threads, sharing a claim board with the pool (so a
 * task a stuck thread has not started can be moved) and transferring
 * buffers both ways. With the shared-memory transport on, a columnar batch
 * that fits a slot goes through the worker's shared memory instead of a
 * message (see `ring-writer.ts`); the memory is made the first time the
 * worker is sent such a batch, so a pool that never sends one never has it.
 * Until then, requests that transfer no buffers and are sent in the same
 * turn share one message (see `outbox.ts`).
 */
import {
  isColumnarBatch,
  type TaskRequest,
  type TaskResponse,
  type TaskStarted,
  WorkerCrashedError,
} from "@poolstream/core";
import { ClaimBoard } from "../claim-board.ts";
import type { WorkerHost, WorkerHostFactory } from "../worker-host.ts";
import { Outbox, type ResponseBatch } from "./outbox.ts";
import type { RingSetup } from "./ring-layout.ts";
import { type CompletionSignal, DOORBELL, RingWriter } from "./ring-writer.ts";

const workerEntryUrl = new URL("./worker-entry.ts", import.meta.url);

type Answer = TaskResponse | TaskStarted;

/** The shared-memory transport's settings, checked (see `WorkerPoolOptions.sharedMemory`). */
export interface RingSettings {
  readonly slotBytes: number;
  readonly completion: CompletionSignal;
}

/** How the columnar batches sent so far travelled (see `WorkerPool.transportStats`). */
export interface TransportCounts {
  sharedMemory: number;
  transferred: number;
}

/** Thread workers; with `ring`, columnar batches travel through shared memory. `counts` is filled in. */
export function threadHosts(ring: RingSettings | undefined, counts: TransportCounts): WorkerHostFactory {
  return {
    spawn(name, capacity, events): WorkerHost {
      const worker = new Worker(workerEntryUrl, { name });
      const claims = new ClaimBoard(capacity);
      worker.postMessage({ claims: claims.cells });
      let writer: RingWriter | undefined;
      let markExited: () => void = () => {};
      const exited = new Promise<void>((resolve) => {
        markExited = resolve;
      });
      let dead = false;
      const outbox = new Outbox({
        post: (message) => worker.postMessage(message),
        sent: (request, postMs) => {
          writer?.publishMessage(request);
          events.sent(request.id, postMs);
        },
        // Told later, not from inside a send of the pool's (a flush may run there).
        unsendable: (request, error) => queueMicrotask(() => events.unsendable(request.id, error)),
      });
      const die = (error: WorkerCrashedError) => {
        if (dead) return;
        dead = true;
        outbox.clear();
        // Answers the worker wrote before it died are answers: delivered before the death, in order.
        writer?.collect();
        writer?.close();
        events.died(error);
      };
      const deliver = (message: Answer, receivedAt: number) => {
        events.message(message, receivedAt);
        if (writer !== undefined && "ok" in message) writer.answeredByMessage(message.id);
      };
      const startRing = (settings: RingSettings): RingWriter => {
        const started = new RingWriter(capacity, settings.slotBytes, settings.completion, events.message);
        const setup: RingSetup = { ring: started.memory.shared, slotCount: capacity, slotBytes: settings.slotBytes };
        worker.postMessage(setup);
        return started;
      };
      worker.addEventListener("message", (event: MessageEvent) => {
        const receivedAt = performance.now();
        // Answers in shared memory were written before this message was sent: they go first.
        writer?.wake();
        const message = event.data;
        if (message === DOORBELL) return;
        // Answers of quick tasks may come together (see worker-entry.ts), in the order they were given.
        if ("responses" in message) {
          for (const answer of (message as ResponseBatch<Answer>).responses) deliver(answer, receivedAt);
        } else deliver(message, receivedAt);
      });
      worker.addEventListener("error", (event: ErrorEvent) => {
        event.preventDefault();
        die(new WorkerCrashedError(`worker ${name} crashed: ${firstLine(event.message)}`));
      });
      worker.addEventListener("close", (event: Event) => {
        markExited();
        const code = (event as CloseEvent).code;
        die(new WorkerCrashedError(`worker ${name} exited with code ${code}`, code));
      });
      return {
        claims,
        exited,
        send(request: TaskRequest, transfer) {
          if (isColumnarBatch(request.input)) {
            if (ring !== undefined && request.kernel === undefined) {
              // The requests waiting to go by message were sent before this one: their entries come first.
              outbox.flush();
              writer ??= startRing(ring);
              if (writer.publishBatch(request, request.input)) {
                counts.sharedMemory++;
                return false;
              }
            }
            counts.transferred++;
          }
          writer?.checkRoom();
          // With shared memory set up, a request by message goes alone: its worker blocks waiting for work
          // in shared memory and picks requests by message up one at a time (see worker-entry.ts).
          if (writer === undefined && (transfer === undefined || transfer.length === 0)) {
            outbox.add(request);
            return false;
          }
          // Moved now, as a caller who lists buffers to transfer expects, after the requests sent before it.
          outbox.flush();
          worker.postMessage(request, transfer as Transferable[]);
          writer?.publishMessage(request);
          return true;
        },
        keepAlive(alive) {
          // Bun's ref()/unref() on a Worker (the DOM typings of `Worker` do not have them).
          const handle = worker as unknown as Bun.Worker;
          if (alive) handle.ref();
          else handle.unref();
        },
        terminate() {
          outbox.clear();
          writer?.close();
          worker.terminate();
        },
      };
    },
  };
}

function firstLine(message: string | undefined): string {
  const lines = (message ?? "unknown error").split("\n").filter((line) => line.trim() !== "");
  // Bun prefixes the message with a source excerpt; the line that starts with "error:" says what happened.
  return (lines.find((line) => /^\w*error:/i.test(line.trim())) ?? lines[0] ?? "unknown error").trim();
}
