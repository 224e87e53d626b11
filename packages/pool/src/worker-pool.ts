/**
 * A fixed-size pool of Bun Workers that run kernels. Each worker takes up to
 * `pipelineDepth` tasks at a time (so the next input is already there when a
 * task ends) and runs them in order. A worker that dies or runs past a
 * timeout fails only the task it was running; the tasks queued behind it are
 * handed to other workers, and a fresh worker takes its place. A task whose
 * worker crashed under it is first run once more (it may be innocent: a
 * worker also dies of an error its previous task left behind), unless its
 * input was transferred; only if it dies again is it reported as crashed.
 *
 * A pool refuses to start inside a Worker that is importing a kernel's module
 * (`NestedPoolError`): that module also starts the program, and every Worker
 * of every pool would start another pool.
 */
import {
  AbortError,
  type Clock,
  checkDurationMs,
  Deque,
  durationError,
  type Executor,
  type ExecutorStats,
  InvalidArgumentError,
  isDurationMs,
  type Kernel,
  type KernelRef,
  NestedPoolError,
  PoolClosedError,
  type RunOptions,
  systemClock,
  TaskFailedError,
  type TaskRequest,
  type TaskResponse,
  type TaskStarted,
  TaskTimeoutError,
  type TaskTiming,
  WorkerCrashedError,
  WorkerStartupError,
} from "@poolstream/core";
import { isLoadingKernelModule } from "./internal/loading-mark.ts";
import { resolutionBases, resolveKernelModule } from "./internal/resolve-kernel-module.ts";

/**
 * Options of `WorkerPool`. Each is checked when the pool is made: a value out
 * of range throws `InvalidArgumentError`. Durations are milliseconds in
 * (0, 2^31 − 1], the range a timer can hold.
 */
export interface WorkerPoolOptions {
  /** Number of workers, an integer from 1 to 1024. Default 4. */
  readonly size?: number;
  /** Tasks sent to one worker before it answers, an integer from 1 to 1024; 2 hides the message round trip. Default 2. */
  readonly pipelineDepth?: number;
  /** Default limit on a task's running time, counted from when it starts; none by default. */
  readonly taskTimeoutMs?: number;
  /** How long `close()` waits for accepted tasks before it rejects them. Default 30 s. */
  readonly closeTimeoutMs?: number;
  /**
   * How long a worker may take to start a task whose kernel it has not run
   * yet: starting its thread and importing the kernel's module. Past it the
   * task fails with `WorkerStartupError` and the worker is replaced. The task
   * timeout starts only after. Default 30 s.
   */
  readonly startupTimeoutMs?: number;
  /** Shown in worker names and crash messages. */
  readonly name?: string;
  /**
   * Where kernels addressed by a bare package specifier ("@poolstream/kernels")
   * are resolved from: a module (pass `import.meta.url`) or directory that
   * depends on their packages. Tried first; then the program's entry module,
   * then the working directory. Kernels addressed by `file:` URL ignore it.
   */
  readonly resolveFrom?: string | URL;
  /** Timers for task and close timeouts. Default the system clock. */
  readonly clock?: Clock;
}

const MAX_SIZE = 1024;
const MAX_PIPELINE_DEPTH = 1024;

interface Task {
  readonly request: TaskRequest;
  /** The kernel's address as Workers are sent it: a bare specifier already resolved to a file. */
  readonly ref: KernelRef;
  readonly transfer: readonly Transferable[] | undefined;
  readonly timeoutMs: number | undefined;
  /** The caller's, filled in when the task succeeds. */
  readonly timing: TaskTiming | undefined;
  /** Already run again once after its worker died under it. */
  retried: boolean;
  /** Sent with its kernel's address: the worker loads the module first, and says when the task starts. */
  loading: boolean;
  /** This thread's time inside `postMessage` (the input's clone or transfer), last time it was sent. */
  sendMs: number;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
  settled: boolean;
}

interface Slot {
  readonly index: number;
  readonly worker: Worker;
  /** Kernel ids this Worker has been told about. */
  readonly knownKernels: Set<number>;
  /** Tasks sent to this worker, oldest first; the oldest is the one running. */
  readonly inFlight: Task[];
  cancelHeadTimer: (() => void) | undefined;
  dead: boolean;
  exited: Promise<void>;
}

const workerEntryUrl = new URL("./internal/worker-entry.ts", import.meta.url);

/** Pools not closed yet. When the program is about to end with some left, it is told once. */
const unclosedPools = new Set<WorkerPool>();
let warnedUnclosed = false;
process.on("beforeExit", () => {
  if (warnedUnclosed || unclosedPools.size === 0) return;
  warnedUnclosed = true;
  console.warn(
    `poolstream: ${unclosedPools.size} WorkerPool${unclosedPools.size === 1 ? " was" : "s were"} not closed before the ` +
      "program ended; close each with `await using` or `await pool.close()` so that its tasks drain",
  );
});

/**
 * The Bun Worker executor: runs kernels on a fixed set of Workers. Create it
 * in the program, never in a module that defines kernels (see
 * `NestedPoolError`), and close it with `await using` or `close()`.
 */
export class WorkerPool implements Executor {
  /** Number of workers; a dead one is replaced, so there are always this many. */
  readonly size: number;
  /** Tasks each worker holds at once: the running one and those queued behind it. */
  readonly pipelineDepth: number;
  readonly #name: string;
  readonly #taskTimeoutMs: number | undefined;
  readonly #closeTimeoutMs: number;
  readonly #startupTimeoutMs: number;
  readonly #clock: Clock;
  readonly #slots: (Slot | undefined)[];
  readonly #urgent = new Deque<Task>();
  readonly #normal = new Deque<Task>();
  readonly #idleWaiters: (() => void)[] = [];
  /** Kernel numbers (so requests carry a number instead of two strings) and the address Workers are sent. */
  readonly #kernels = new WeakMap<KernelRef, { readonly id: number; readonly sent: KernelRef }>();
  readonly #resolutionBases: readonly string[];
  #kernelCount = 0;
  #nextTaskId = 1;
  #inFlight = 0;
  #closing: Promise<void> | undefined;
  #destroyed = false;
  #completed = 0;
  #failed = 0;
  #crashes = 0;
  #interrupted = 0;
  #timeouts = 0;
  #workersStarted = 0;

  /**
   * Starts `size` workers. Throws `InvalidArgumentError` for an option out of
   * range, and `NestedPoolError` when called while a Worker is importing a
   * kernel's module.
   */
  constructor(options: WorkerPoolOptions = {}) {
    if (isLoadingKernelModule()) {
      throw new NestedPoolError(
        "a WorkerPool was created while a Worker was importing a kernel's module: the module that defines the " +
          "kernels also creates the pool, so every Worker would create another pool. Move the kernels into a " +
          "module of their own, or guard the program with `if (import.meta.main) { ... }`",
      );
    }
    this.size = checkInteger("size", options.size ?? 4, MAX_SIZE);
    this.pipelineDepth = checkInteger("pipelineDepth", options.pipelineDepth ?? 2, MAX_PIPELINE_DEPTH);
    this.#taskTimeoutMs =
      options.taskTimeoutMs === undefined ? undefined : checkDurationMs("taskTimeoutMs", options.taskTimeoutMs);
    this.#closeTimeoutMs = checkDurationMs("closeTimeoutMs", options.closeTimeoutMs ?? 30_000);
    this.#startupTimeoutMs = checkDurationMs("startupTimeoutMs", options.startupTimeoutMs ?? 30_000);
    this.#name = options.name ?? "poolstream";
    this.#clock = options.clock ?? systemClock;
    try {
      this.#resolutionBases = resolutionBases(options.resolveFrom);
    } catch (error) {
      throw new InvalidArgumentError(`resolveFrom must be a path or a file: URL, got ${String(options.resolveFrom)}`, {
        cause: error,
      });
    }
    // Start every worker now: their start-up cost belongs to construction, not to the first batches.
    this.#slots = Array.from({ length: this.size }, (_, index) => this.#spawn(index));
    unclosedPools.add(this);
  }

  /** Tasks it holds at once, `size × pipelineDepth`: enough to keep every worker busy. */
  get capacity(): number {
    return this.size * this.pipelineDepth;
  }

  /**
   * Runs `task(input)` on a worker. Rejects with `TaskFailedError` when the
   * kernel threw (or its module could not be loaded), `WorkerCrashedError`
   * when its worker died, `TaskTimeoutError` past its timeout,
   * `PoolClosedError` when the pool closed first, `AbortError` when `signal`
   * fired first, and `InvalidArgumentError` for a task that is not a kernel
   * or a `timeoutMs` out of range.
   */
  run<I, O>(task: Kernel<I, O>, input: I, options: RunOptions = {}): Promise<O> {
    if (this.#closing !== undefined) return Promise.reject(new PoolClosedError());
    const ref = (task as Partial<Kernel<I, O>>).kernel;
    if (ref === undefined) {
      return Promise.reject(new InvalidArgumentError("task must be a kernel made with defineKernel"));
    }
    if (options.timeoutMs !== undefined && !isDurationMs(options.timeoutMs)) {
      return Promise.reject(durationError("timeoutMs", options.timeoutMs));
    }
    const timeoutMs = options.timeoutMs ?? this.#taskTimeoutMs;
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    return new Promise<O>((resolve, reject) => {
      const onAbort = () => {
        if (entry.settled) return;
        // A task still waiting is withdrawn; one already sent finishes, and its result is dropped.
        // Either queue: a task requeued after its worker died waits among the urgent ones.
        this.#urgent.remove(entry);
        this.#normal.remove(entry);
        this.#settle(entry, new AbortError(signal?.reason));
      };
      const kernel = this.#kernelOf(ref);
      const entry: Task = {
        request: { id: this.#nextTaskId++, kernelId: kernel.id, input },
        ref: kernel.sent,
        transfer: options.transfer,
        timeoutMs,
        timing: options.timing,
        retried: false,
        loading: false,
        sendMs: 0,
        resolve: (output) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(output as O);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
        settled: false,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      (options.priority === "urgent" ? this.#urgent : this.#normal).push(entry);
      this.#dispatch();
    });
  }

  /**
   * Stops accepting tasks, waits for the accepted ones (at most
   * `closeTimeoutMs`, then rejects what is left with `PoolClosedError`), and
   * terminates every worker. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    unclosedPools.delete(this);
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Rejects every waiting and running task with `PoolClosedError` and terminates the workers now. */
  destroy(): Promise<void> {
    this.#destroy();
    return this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Resolves when no task is waiting or running. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** A frozen snapshot of the pool's counters. */
  stats(): ExecutorStats {
    return Object.freeze({
      workers: this.#slots.filter((slot) => slot !== undefined && !slot.dead).length,
      pending: this.#urgent.length + this.#normal.length,
      inFlight: this.#inFlight,
      completed: this.#completed,
      failed: this.#failed,
      crashes: this.#crashes,
      interrupted: this.#interrupted,
      timeouts: this.#timeouts,
      workersStarted: this.#workersStarted,
    });
  }

  async #shutdown(): Promise<void> {
    if (!this.#isIdle()) {
      let cancelTimer: (() => void) | undefined;
      const timedOut = new Promise<void>((resolve) => {
        cancelTimer = this.#clock.setTimer(this.#closeTimeoutMs, resolve);
      });
      await Promise.race([this.whenIdle(), timedOut]);
      cancelTimer?.();
    }
    this.#destroy();
    await Promise.all(this.#slots.map((slot) => slot?.exited));
  }

  #destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const error = new PoolClosedError("pool was closed before the task finished");
    for (const task of [...this.#urgent.drain(), ...this.#normal.drain()]) this.#settle(task, error);
    for (const slot of this.#slots) {
      if (slot === undefined) continue;
      slot.dead = true;
      slot.cancelHeadTimer?.();
      for (const task of slot.inFlight.splice(0)) this.#finish(task, error);
      // Held until its close event, so that `await close()` resolves before the program can end.
      keepsProgramAlive(slot.worker, true);
      slot.worker.terminate();
    }
    this.#notifyIfIdle();
  }

  #spawn(index: number): Slot {
    const worker = new Worker(workerEntryUrl, { name: `${this.#name}-${index}` });
    // Idle until it is given a task: an idle worker does not keep the program alive, so a program that
    // forgets close() still ends (with a warning, below) instead of waiting for ever.
    keepsProgramAlive(worker, false);
    this.#workersStarted++;
    let markExited: () => void = () => {};
    const slot: Slot = {
      index,
      worker,
      knownKernels: new Set(),
      inFlight: [],
      cancelHeadTimer: undefined,
      dead: false,
      exited: new Promise<void>((resolve) => {
        markExited = resolve;
      }),
    };
    worker.addEventListener("message", (event: MessageEvent<TaskResponse | TaskStarted>) => {
      const receivedAt = performance.now();
      const message = event.data;
      if ("started" in message) this.#onStarted(slot, message.id);
      else this.#onResponse(slot, message, receivedAt);
    });
    worker.addEventListener("error", (event: ErrorEvent) => {
      event.preventDefault();
      this.#onDeath(slot, new WorkerCrashedError(`worker ${this.#name}-${index} crashed: ${firstLine(event.message)}`));
    });
    worker.addEventListener("close", (event: Event) => {
      markExited();
      const code = (event as CloseEvent).code;
      this.#onDeath(slot, new WorkerCrashedError(`worker ${this.#name}-${index} exited with code ${code}`, code));
    });
    return slot;
  }

  #onResponse(slot: Slot, response: TaskResponse, receivedAt: number): void {
    const index = slot.inFlight.findIndex((task) => task.request.id === response.id);
    if (index < 0) return; // Settled already (the pool was destroyed).
    const [task] = slot.inFlight.splice(index, 1) as [Task];
    if (slot.inFlight.length === 0) keepsProgramAlive(slot.worker, false);
    if (index === 0) this.#startHeadTimer(slot);
    if (response.ok) {
      this.#completed++;
      const { timing } = task;
      if (timing !== undefined) {
        // The listener read `event.data` after `receivedAt`, so the output's deserialization is counted here.
        const receiveMs = performance.now() - receivedAt;
        timing.startedAtMs = response.startedAtMs;
        timing.finishedAtMs = response.finishedAtMs;
        timing.costMs = response.finishedAtMs - response.startedAtMs + task.sendMs + receiveMs;
      }
      this.#finish(task, undefined, response.output);
    } else {
      this.#failed++;
      // Its kernel's module failed to load: the next task of that kernel loads it again, with the start-up bound.
      if (task.loading) slot.knownKernels.delete(task.request.kernelId);
      this.#finish(task, new TaskFailedError(response.error));
    }
    this.#dispatch();
  }

  /** The worker loaded a task's kernel and started it: its timeout counts from now. */
  #onStarted(slot: Slot, id: number): void {
    const task = slot.inFlight.find((t) => t.request.id === id);
    if (task === undefined || !task.loading) return;
    task.loading = false;
    if (slot.inFlight[0] === task) this.#startHeadTimer(slot);
  }

  /** A worker died or was given up on: fail the task it was running, re-queue the rest, replace it. */
  #onDeath(slot: Slot, error: WorkerCrashedError | TaskTimeoutError | WorkerStartupError): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.cancelHeadTimer?.();
    slot.worker.terminate();
    if (error instanceof TaskTimeoutError || error instanceof WorkerStartupError) this.#timeouts++;
    else this.#crashes++;
    const [running, ...waiting] = slot.inFlight.splice(0);
    for (const task of waiting.reverse()) {
      this.#inFlight--;
      if (!task.settled) this.#urgent.unshift(task);
    }
    if (running !== undefined) {
      if (this.#mayRunAgain(running, error)) {
        // It may be innocent: a worker also dies of what its previous task left behind.
        running.retried = true;
        this.#interrupted++;
        this.#inFlight--;
        this.#urgent.unshift(running);
      } else {
        this.#finish(running, error);
      }
    }
    if (!this.#destroyed) this.#slots[slot.index] = this.#spawn(slot.index);
    this.#dispatch();
  }

  /**
   * A task interrupted by its worker's crash runs once more, on another
   * worker, unless it was already run again, or its input was transferred
   * (the buffers went with the dead worker), or the pool is shutting down.
   */
  #mayRunAgain(task: Task, error: Error): boolean {
    return (
      error instanceof WorkerCrashedError &&
      !task.retried &&
      !task.settled &&
      task.transfer === undefined &&
      !this.#destroyed
    );
  }

  #dispatch(): void {
    for (;;) {
      const task = this.#urgent.peek() ?? this.#normal.peek();
      if (task === undefined) break;
      const slot = this.#leastLoadedSlot();
      if (slot === undefined) break;
      (this.#urgent.length > 0 ? this.#urgent : this.#normal).shift();
      if (task.settled) continue;
      slot.inFlight.push(task);
      if (slot.inFlight.length === 1) keepsProgramAlive(slot.worker, true);
      this.#inFlight++;
      const firstTime = !slot.knownKernels.has(task.request.kernelId);
      const message = firstTime ? { ...task.request, kernel: task.ref } : task.request;
      task.loading = firstTime;
      if (slot.inFlight.length === 1) this.#startHeadTimer(slot);
      try {
        const sendStart = performance.now();
        if (task.transfer === undefined) slot.worker.postMessage(message);
        else slot.worker.postMessage(message, task.transfer as Transferable[]);
        task.sendMs = performance.now() - sendStart;
        if (firstTime) slot.knownKernels.add(task.request.kernelId);
      } catch (error) {
        // The input could not be cloned: that is the task's fault, not the worker's.
        slot.inFlight.pop();
        if (slot.inFlight.length === 0) {
          slot.cancelHeadTimer?.();
          keepsProgramAlive(slot.worker, false);
        }
        this.#failed++;
        this.#finish(task, new InvalidArgumentError("task input could not be sent to a worker", { cause: error }));
      }
    }
    this.#notifyIfIdle();
  }

  #kernelOf(ref: KernelRef): { readonly id: number; readonly sent: KernelRef } {
    let kernel = this.#kernels.get(ref);
    if (kernel === undefined) {
      const module = resolveKernelModule(ref.module, this.#resolutionBases);
      kernel = { id: ++this.#kernelCount, sent: module === ref.module ? ref : { ...ref, module } };
      this.#kernels.set(ref, kernel);
    }
    return kernel;
  }

  #leastLoadedSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot === undefined || slot.dead || slot.inFlight.length >= this.pipelineDepth) continue;
      if (best === undefined || slot.inFlight.length < best.inFlight.length) best = slot;
    }
    return best;
  }

  /**
   * The timeout clock of a task starts when it reaches the head of its
   * worker, i.e. when it starts running. A task whose kernel the worker must
   * load first is bounded by the start-up timeout instead, until the worker
   * says it started (`#onStarted`).
   */
  #startHeadTimer(slot: Slot): void {
    slot.cancelHeadTimer?.();
    slot.cancelHeadTimer = undefined;
    const head = slot.inFlight[0];
    if (head === undefined) return;
    if (head.loading) {
      const startupMs = this.#startupTimeoutMs;
      slot.cancelHeadTimer = this.#clock.setTimer(startupMs, () => {
        if (slot.inFlight[0] === head && head.loading) this.#onDeath(slot, new WorkerStartupError(startupMs));
      });
      return;
    }
    if (head.timeoutMs === undefined) return;
    const timeoutMs = head.timeoutMs;
    slot.cancelHeadTimer = this.#clock.setTimer(timeoutMs, () => {
      if (slot.inFlight[0] === head) this.#onDeath(slot, new TaskTimeoutError(timeoutMs));
    });
  }

  /** Settles a task that was in flight. */
  #finish(task: Task, error: Error | undefined, output?: unknown): void {
    this.#inFlight--;
    if (error === undefined) this.#settleOk(task, output);
    else this.#settle(task, error);
    this.#notifyIfIdle();
  }

  #settleOk(task: Task, output: unknown): void {
    if (task.settled) return;
    task.settled = true;
    task.resolve(output);
  }

  #settle(task: Task, error: Error): void {
    if (task.settled) return;
    task.settled = true;
    task.reject(error);
  }

  #isIdle(): boolean {
    return this.#inFlight === 0 && this.#urgent.length === 0 && this.#normal.length === 0;
  }

  #notifyIfIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}

function checkInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

/** Bun's `ref()`/`unref()` on a Worker (the DOM typings of `Worker` do not have them). */
function keepsProgramAlive(worker: Worker, alive: boolean): void {
  const handle = worker as unknown as Bun.Worker;
  if (alive) handle.ref();
  else handle.unref();
}

function firstLine(message: string | undefined): string {
  const lines = (message ?? "unknown error").split("\n").filter((line) => line.trim() !== "");
  // Bun prefixes the message with a source excerpt; the line that starts with "error:" says what happened.
  return (lines.find((line) => /^\w*error:/i.test(line.trim())) ?? lines[0] ?? "unknown error").trim();
}
