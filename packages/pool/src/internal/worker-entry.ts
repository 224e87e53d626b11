/**
 * The script every pool Worker runs. It imports each kernel's module once,
 * runs tasks one at a time in arrival order (so the pool can tell which task
 * was running when the Worker died), and answers with plain data: a result,
 * or the error as `{ name, message, stack, code }`. A kernel declared with
 * `transferOutput` has its output's buffers moved back instead of copied.
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
const kernels = new Map<string, KernelFn | Promise<KernelFn>>();

function resolveKernel(ref: KernelRef): KernelFn | Promise<KernelFn> {
  const key = `${ref.moduleUrl}#${ref.exportName}`;
  let kernel = kernels.get(key);
  if (kernel === undefined) {
    kernel = import(ref.moduleUrl).then((module: Record<string, unknown>) => {
      const fn = module[ref.exportName];
      if (typeof fn !== "function") {
        throw new TypeError(`${ref.moduleUrl} has no function export named "${ref.exportName}"`);
      }
      kernels.set(key, fn as KernelFn);
      return fn as KernelFn;
    });
    kernels.set(key, kernel);
    // A module that fails to load must be retried on the next task, not cached as a failure.
    kernel.catch(() => kernels.delete(key));
  }
  return kernel;
}

function reply(response: TaskResponse, transfer?: readonly Transferable[]): void {
  try {
    if (transfer === undefined) self.postMessage(response);
    else self.postMessage(response, transfer as Transferable[]);
  } catch (error) {
    // The output could not be cloned (a function, a symbol...): report that instead.
    self.postMessage({ id: response.id, ok: false, error: serializeError(error) } satisfies TaskResponse);
  }
}

async function execute(request: TaskRequest): Promise<void> {
  try {
    const resolved = resolveKernel(request.kernel);
    const kernel = typeof resolved === "function" ? resolved : await resolved;
    let output = kernel(request.input);
    if (output instanceof Promise) output = await output;
    // The module's own declaration decides, not the request: only the kernel knows its buffers are fresh.
    const transfer = kernel.kernel?.transferOutput === true ? collectTransferables(output) : undefined;
    reply({ id: request.id, ok: true, output }, transfer);
  } catch (error) {
    reply({ id: request.id, ok: false, error: serializeError(error) });
  }
}

// Tasks run strictly one after another, even async ones, so the oldest task the
// pool has in flight on this Worker is always the one running.
let running: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<TaskRequest>) => {
  const request = event.data;
  running = running.then(() => execute(request));
};
