/**
 * The script every pool Worker runs. It imports each kernel's module once,
 * runs tasks one at a time in arrival order (so the pool can tell which task
 * was running when the Worker died), and answers with plain data: a result,
 * or the error as `{ name, message, stack, code }`. A kernel declared with
 * `transferOutput` has its output's buffers moved back instead of copied.
 *
 * A synchronous kernel runs straight from the message handler; only a task
 * that has to wait (an async kernel, a module still loading) makes the
 * following ones queue behind it.
 */
import {
  collectTransferables,
  type KernelRef,
  serializeError,
  type TaskRequest,
  type TaskResponse,
} from "@poolstream/core";

declare const self: Worker;

type KernelFn = ((input: unknown) => unknown) & { readonly kernel?: KernelRef };

const refs = new Map<number, KernelRef>();
const loaded = new Map<number, KernelFn>();
const loading = new Map<number, Promise<KernelFn>>();
const waiting: TaskRequest[] = [];
let busy = false;

function load(kernelId: number): Promise<KernelFn> {
  let pending = loading.get(kernelId);
  if (pending === undefined) {
    const ref = refs.get(kernelId);
    pending =
      ref === undefined
        ? Promise.reject(new Error(`unknown kernel ${kernelId}`))
        : import(ref.moduleUrl).then((module: Record<string, unknown>) => {
            const fn = module[ref.exportName];
            if (typeof fn !== "function") {
              throw new TypeError(`${ref.moduleUrl} has no function export named "${ref.exportName}"`);
            }
            loaded.set(kernelId, fn as KernelFn);
            return fn as KernelFn;
          });
    loading.set(kernelId, pending);
    // A module that fails to load is tried again by the next task, not remembered as a failure.
    pending.catch(() => loading.delete(kernelId));
  }
  return pending;
}

function reply(response: TaskResponse, transfer?: readonly Transferable[]): void {
  try {
    if (transfer === undefined || transfer.length === 0) self.postMessage(response);
    else self.postMessage(response, transfer as Transferable[]);
  } catch (error) {
    // The output could not be cloned (a function, a symbol...): report that instead.
    self.postMessage({ id: response.id, ok: false, error: serializeError(error) } satisfies TaskResponse);
  }
}

function succeed(id: number, kernel: KernelFn, output: unknown): void {
  // The module's own declaration decides, not the request: only the kernel knows its buffers are fresh.
  reply({ id, ok: true, output }, kernel.kernel?.transferOutput === true ? collectTransferables(output) : undefined);
}

function fail(id: number, error: unknown): void {
  reply({ id, ok: false, error: serializeError(error) });
}

/** Runs one task; returns a promise only if it has to wait. */
function run(request: TaskRequest): Promise<void> | undefined {
  const kernel = loaded.get(request.kernelId);
  if (kernel === undefined) {
    return load(request.kernelId).then(
      (fn) => finish(request.id, fn, () => fn(request.input)),
      (error: unknown) => fail(request.id, error),
    );
  }
  return finish(request.id, kernel, () => kernel(request.input));
}

function finish(id: number, kernel: KernelFn, call: () => unknown): Promise<void> | undefined {
  let output: unknown;
  try {
    output = call();
  } catch (error) {
    fail(id, error);
    return undefined;
  }
  if (!(output instanceof Promise)) {
    succeed(id, kernel, output);
    return undefined;
  }
  return output.then(
    (value: unknown) => succeed(id, kernel, value),
    (error: unknown) => fail(id, error),
  );
}

/** Runs queued tasks until one has to wait; picks up again when it is done. */
function drain(): void {
  while (!busy) {
    const next = waiting.shift();
    if (next === undefined) return;
    const pending = run(next);
    if (pending !== undefined) {
      busy = true;
      void pending.then(() => {
        busy = false;
        drain();
      });
    }
  }
}

self.onmessage = (event: MessageEvent<TaskRequest>) => {
  const request = event.data;
  if (request.kernel !== undefined) refs.set(request.kernelId, request.kernel);
  waiting.push(request);
  drain();
};
