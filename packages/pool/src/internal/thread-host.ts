/**
 * Workers as Bun Worker threads, sharing a claim board with the pool (so a
 * task a stuck thread has not started can be moved) and transferring
 * buffers both ways.
 */
import { WorkerCrashedError } from "@poolstream/core";
import { ClaimBoard } from "../claim-board.ts";
import type { WorkerHost, WorkerHostFactory } from "../worker-host.ts";

const workerEntryUrl = new URL("./worker-entry.ts", import.meta.url);

export const threadHosts: WorkerHostFactory = {
  spawn(name, capacity, events): WorkerHost {
    const worker = new Worker(workerEntryUrl, { name });
    const claims = new ClaimBoard(capacity);
    worker.postMessage({ claims: claims.cells });
    let markExited: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    let dead = false;
    const die = (error: WorkerCrashedError) => {
      if (dead) return;
      dead = true;
      events.died(error);
    };
    worker.addEventListener("message", (event: MessageEvent) => {
      const receivedAt = performance.now();
      events.message(event.data, receivedAt);
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
      movesBuffers: true,
      exited,
      send(request, transfer) {
        if (transfer === undefined) worker.postMessage(request);
        else worker.postMessage(request, transfer as Transferable[]);
      },
      keepAlive(alive) {
        // Bun's ref()/unref() on a Worker (the DOM typings of `Worker` do not have them).
        const handle = worker as unknown as Bun.Worker;
        if (alive) handle.ref();
        else handle.unref();
      },
      terminate() {
        worker.terminate();
      },
    };
  },
};

function firstLine(message: string | undefined): string {
  const lines = (message ?? "unknown error").split("\n").filter((line) => line.trim() !== "");
  // Bun prefixes the message with a source excerpt; the line that starts with "error:" says what happened.
  return (lines.find((line) => /^\w*error:/i.test(line.trim())) ?? lines[0] ?? "unknown error").trim();
}
