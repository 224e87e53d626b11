/**
 * The Worker a threaded `SqliteSink` writes from: it owns the database
 * connection and takes one message per batch, so that SQLite's time (about
 * 1.6–1.9 µs a row here) is spent beside the pipeline's thread, not on it.
 * Errors go back as plain data.
 */
import { serializeError } from "@poolstream/core";
import type { OutcomeRows } from "./outcome-rows.ts";
import { OutcomeStore, type StoredPosition } from "./outcome-store.ts";

declare const self: Worker;

export type WriterRequest =
  | { readonly kind: "open"; readonly path: string }
  | { readonly kind: "write"; readonly id: number; readonly rows: OutcomeRows; readonly position?: StoredPosition }
  | { readonly kind: "close" };

export type WriterReply =
  | { readonly kind: "opened" }
  | { readonly kind: "written"; readonly id: number }
  | { readonly kind: "closed" }
  | { readonly kind: "failed"; readonly id?: number; readonly error: ReturnType<typeof serializeError> };

let store: OutcomeStore | undefined;

function reply(message: WriterReply): void {
  self.postMessage(message);
}

self.onmessage = (event: MessageEvent<WriterRequest>) => {
  const request = event.data;
  try {
    if (request.kind === "open") {
      store = new OutcomeStore(request.path);
      reply({ kind: "opened" });
    } else if (request.kind === "write") {
      (store as OutcomeStore).write(request.rows, request.position);
      reply({ kind: "written", id: request.id });
    } else {
      store?.close();
      store = undefined;
      reply({ kind: "closed" });
    }
  } catch (error) {
    reply({ kind: "failed", ...(request.kind === "write" ? { id: request.id } : {}), error: serializeError(error) });
  }
};
