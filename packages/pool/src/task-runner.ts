/**
 * What runs on the other side of a pool: a thread Worker or a child process
 * receives task requests through `receive` and answers through its port. It
 * imports each kernel's module once, runs tasks one at a time in arrival
 * order (so the pool can tell which task was running when its worker died),
 * and answers with plain data: a result, or the error as
 * `{ name, message, stack, code }`. A kernel declared with `transferOutput`
 * has its output's buffers moved back instead of copied, where the port can.
 *
 * A synchronous kernel runs straight from the message handler; only a task
 * that has to wait (an async kernel, a module still loading) makes the
 * following ones queue behind it. Where the pool shares a claim board, a task
 * starts only if the worker wins its cell: the pool may have moved it to a
 * free worker meanwhile (see `claim-board.ts`).
 *
 * While a kernel's module is being imported the thread is marked, so a module
 * that also starts the program (and creates a pool) fails to load with
 * `NestedPoolError` instead of spawning Workers without end. A module that
 * fails to load fails the task with its own error's name and code and a
 * message that says which kernel and module it was.
 */
import {
  collectTransferables,
  type KernelRef,
  type SerializedError,
  serializeError,
  systemClock,
  type TaskRequest,
  type TaskResponse,
  type TaskStarted,
} from "@poolstream/core";
import { claimTask, isStillWaiting } from "./claim-board.ts";
import { importKernelModule } from "./internal/loading-mark.ts";

/** How a runner answers the pool. `post` throws when the message cannot be sent (an uncloneable output). */
export interface TaskRunnerPort {
  post(message: TaskResponse | TaskStarted, transfer?: readonly Transferable[]): void;
}

/** The worker side of a pool. */
export interface TaskRunner {
  /** Queues a request, and runs it now if nothing is running. */
  receive(request: TaskRequest): void;
  /** The claim board the pool shares with this worker; requests carry their cell on it. */
  useClaims(cells: Int32Array): void;
  /** True while a task waits (an async kernel, a module loading); the tasks received meanwhile queue behind it. */
  readonly busy: boolean;
}

/** Options of `createTaskRunner`. */
export interface TaskRunnerOptions {
  /** Called when a task that had to wait is done and the queue behind it has run. */
  readonly onIdle?: () => void;
}

type KernelFn = ((input: unknown) => unknown) & { readonly kernel?: KernelRef };

/**
 * The worker side of a pool, for the script a new kind of worker runs: feed
 * it each `TaskRequest` that arrives, and it answers through `port`. A thread
 * Worker and a `ProcessPool` child both run one.
 */
export function createTaskRunner(port: TaskRunnerPort, options: TaskRunnerOptions = {}): TaskRunner {
  const refs = new Map<number, KernelRef>();
  const loaded = new Map<number, KernelFn>();
  const loading = new Map<number, Promise<KernelFn>>();
  let waiting: TaskRequest[] = [];
  let busy = false;
  let cells: Int32Array | undefined;

  function load(kernelId: number): Promise<KernelFn> {
    let pending = loading.get(kernelId);
    if (pending === undefined) {
      const ref = refs.get(kernelId);
      pending =
        ref === undefined
          ? Promise.reject(new Error(`unknown kernel ${kernelId}`))
          : importKernelModule(ref.module).then(
              (module) => {
                const fn = module[ref.exportName];
                if (typeof fn !== "function") {
                  throw new TypeError(`${ref.module} has no function export named "${ref.exportName}"`);
                }
                loaded.set(kernelId, fn as KernelFn);
                return fn as KernelFn;
              },
              (error: unknown) => {
                throw loadError(ref, error);
              },
            );
      loading.set(kernelId, pending);
      // A module that fails to load is tried again by the next task, not remembered as a failure.
      pending.catch(() => loading.delete(kernelId));
    }
    return pending;
  }

  function reply(response: TaskResponse, transfer?: readonly Transferable[]): void {
    try {
      port.post(response, transfer);
    } catch (error) {
      // The output could not be cloned (a function, a symbol...): report that instead.
      port.post({ id: response.id, ok: false, error: serializeError(error) } satisfies TaskResponse);
    }
  }

  function succeed(id: number, kernel: KernelFn, output: unknown, startedAtMs: number): void {
    const finishedAtMs = systemClock.now();
    // The module's own declaration decides, not the request: only the kernel knows its buffers are fresh.
    const transfer = kernel.kernel?.transferOutput === true ? collectTransferables(output) : undefined;
    reply({ id, ok: true, output, startedAtMs, finishedAtMs }, transfer);
  }

  function fail(id: number, error: unknown): void {
    reply({ id, ok: false, error: serializeError(error) });
  }

  /** False for a request the pool took back (moved to another worker): it must not start here. */
  function mayStart(request: TaskRequest): boolean {
    return claimTask(cells, request.ticket, request.claim);
  }

  /** Runs one task; returns a promise only if it has to wait. */
  function run(request: TaskRequest): Promise<void> | undefined {
    if (!mayStart(request)) return undefined;
    const kernel = loaded.get(request.kernelId);
    if (kernel === undefined) {
      return load(request.kernelId).then(
        (fn) => {
          // The pool times a task from here: loading the module is the worker's start-up, not the task.
          port.post({ id: request.id, started: true } satisfies TaskStarted);
          return finish(request.id, fn, () => fn(request.input));
        },
        (error: unknown) => fail(request.id, error),
      );
    }
    return finish(request.id, kernel, () => kernel(request.input));
  }

  function finish(id: number, kernel: KernelFn, call: () => unknown): Promise<void> | undefined {
    // Taken once the module has loaded: loading is a worker's start-up, not the task's cost. Epoch ms,
    // the clock the pool's thread reads too, so the two can be compared.
    const startedAtMs = systemClock.now();
    let output: unknown;
    try {
      output = call();
    } catch (error) {
      fail(id, error);
      return undefined;
    }
    if (!(output instanceof Promise)) {
      succeed(id, kernel, output, startedAtMs);
      return undefined;
    }
    return output.then(
      (value: unknown) => succeed(id, kernel, value, startedAtMs),
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
          if (!busy) options.onIdle?.();
        });
      }
    }
  }

  return {
    receive(request) {
      if (request.kernel !== undefined) refs.set(request.kernelId, request.kernel);
      // Behind a task that never settles, requests the pool moved elsewhere would pile up: let them go.
      if (busy && cells !== undefined)
        waiting = waiting.filter((queued) => isStillWaiting(cells as Int32Array, queued));
      waiting.push(request);
      drain();
    },
    useClaims(board) {
      cells = board;
    },
    get busy() {
      return busy;
    },
  };
}

/**
 * The error of a kernel's module that could not be imported, with the
 * original's name, code and stack (so the pool's `TaskFailedError` shows
 * them) and a message that says which kernel and module it was.
 */
function loadError(ref: KernelRef, cause: unknown): Error {
  const original = serializeError(cause);
  const error = new Error(
    `could not load the module of kernel "${ref.exportName}" (${ref.module}): ${original.message}${whereIn(cause)}${hintFor(ref, original)}`,
  );
  error.name = original.name;
  if (original.stack !== undefined) error.stack = original.stack;
  if (original.code !== undefined) Object.assign(error, { code: original.code });
  return error;
}

/** A bare specifier reaches a Worker only when the pool could not resolve it: say where it looked. */
function hintFor(ref: KernelRef, error: SerializedError): string {
  if (ref.module.startsWith("file:") || error.code !== "ERR_MODULE_NOT_FOUND") return "";
  return (
    ". The pool resolves a package from its resolveFrom option, the program's entry module and the working " +
    "directory: install it where one of those can find it"
  );
}

/** `at file:line:column` for Bun's build errors (a syntax error), whose message alone does not say where. */
function whereIn(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  const position = (error as { position?: { file?: unknown; line?: unknown; column?: unknown } | null }).position;
  if (typeof position !== "object" || position === null || typeof position.file !== "string") return "";
  return ` (at ${position.file}:${String(position.line)}:${String(position.column)})`;
}
