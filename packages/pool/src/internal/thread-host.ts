/**
 * Workers as Bun Worker threads, sharing a claim board with the pool (so a
 * task a stuck thread has not started can be moved) and transferring
 * buffers both ways. With the shared-memory transport on, a columnar batch
 * that fits a slot goes through the worker's shared memory instead of a
 * message (see `ring-writer.ts`); the memory is made the first time the
 * worker is sent such a batch, so a pool that never sends one never has it.
 */
import { isColumnarBatch, type TaskRequest, WorkerCrashedError } from "@poolstream/core";
import { ClaimBoard } from "../claim-board.ts";
import type { WorkerHost, WorkerHostFactory } from "../worker-host.ts";
import type { RingSetup } from "./ring-layout.ts";
import { type CompletionSignal, DOORBELL, RingWriter } from "./ring-writer.ts";

const workerEntryUrl = new URL("./worker-entry.ts", import.meta.url);

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
      const die = (error: WorkerCrashedError) => {
        if (dead) return;
        dead = true;
        // Answers the worker wrote before it died are answers: delivered before the death, in order.
        writer?.collect();
        writer?.close();
        events.died(error);
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
        events.message(message, receivedAt);
        if (writer !== undefined && "ok" in message) writer.answeredByMessage(message.id);
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
              writer ??= startRing(ring);
              if (writer.publishBatch(request, request.input)) {
                counts.sharedMemory++;
                return false;
              }
            }
            counts.transferred++;
          }
          writer?.checkRoom();
          if (transfer === undefined) worker.postMessage(request);
          else worker.postMessage(request, transfer as Transferable[]);
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
