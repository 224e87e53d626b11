/**
 * The script every thread Worker of a `WorkerPool` runs: a task runner (see
 * `task-runner.ts`) wired to the Worker's messages. The pool's first message
 * is its claim board; every later one is a task request.
 */
import type { TaskRequest } from "@poolstream/core";
import { createTaskRunner } from "../task-runner.ts";

declare const self: Worker;

const runner = createTaskRunner({
  post(message, transfer) {
    if (transfer === undefined || transfer.length === 0) self.postMessage(message);
    else self.postMessage(message, transfer as Transferable[]);
  },
});

self.onmessage = (event: MessageEvent<TaskRequest | { readonly claims: Int32Array }>) => {
  const message = event.data;
  if ("claims" in message) runner.useClaims(message.claims);
  else runner.receive(message);
};
