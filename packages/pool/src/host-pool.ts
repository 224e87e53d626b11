/**
 * A fixed-size pool of workers that run kernels: the scheduling every
 * poolstream pool shares, whatever its workers are (threads for
 * `WorkerPool`, child processes for `ProcessPool`; see `worker-host.ts`).
 *
 * Each worker takes up to `pipelineDepth` tasks at a time (so the next input
 * is already there when a task ends) and runs them in order. A worker that
 * dies or runs past a timeout fails only the task it was running; the tasks
 * queued behind it go to other workers, and a fresh worker takes its place.
 * A task whose worker crashed under it runs once more, alone, on that fresh
 * worker (it may be innocent: a worker also dies of an error its previous
 * task left behind); only if it dies again is it reported as crashed. When a
 * worker has nothing to do while another holds tasks it has not started
 * behind a slow or hung one, those tasks move to the free worker; the stuck
 * worker is sent nothing more until its task answers.
 *
 * A pool refuses to start inside a worker that is importing a kernel's module
 * (`NestedPoolError`): that module also starts the program, and every worker
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
  TaskTimeoutError,
  type TaskTiming,
  WorkerCrashedError,
  WorkerStartupError,
} from "@poolstream/core";
import { isLoadingKernelModule } from "./internal/loading-mark.ts";
import { resolutionBases, resolveKernelModule } from "./internal/resolve-kernel-module.ts";
import type { WorkerHost, WorkerHostFactory } from "./worker-host.ts";

/**
 * Options of a pool. Each is checked when the pool is made: a value out of
 * range throws `InvalidArgumentError`. Durations are milliseconds in
 * (0, 2^31 − 1], the range a timer can hold.
 */
export interface PoolOptions {
  /** Number of workers, an integer from 1 to 1024. Default 4. */
  readonly size?: number;
  /** Tasks sent to one worker before it answers, an integer from 1 to 1024; 2 hides the message round trip. Default 2. */
  readonly pipelineDepth?: number;
  /**
   * Tasks one worker may hold while more wait in the pool than its workers
   * hold at `pipelineDepth` (everything submitted at once): the main thread
   * then hands work over in bulk instead of one task per answer, so a worker
   * never waits for it. An urgent task that arrives meanwhile takes back the
   * normal tasks a worker has not started, so it waits behind one task at
   * most. An integer from `pipelineDepth` to 1024; `pipelineDepth` turns it
   * off. Default 32 (`ProcessPool`: its `pipelineDepth`).
   */
  readonly backlogDepth?: number;
  /** Default limit on a task's running time, counted from when it starts; none by default. */
  readonly taskTimeoutMs?: number;
  /** How long `close()` waits for accepted tasks before it rejects them. Default 30 s. */
  readonly closeTimeoutMs?: number;
  /**
   * How long a worker may take to start a task whose kernel it has not run
   * yet: starting the worker and importing the kernel's module. Past it the
   * task fails with `WorkerStartupError` and the worker is replaced. The task
   * timeout starts only after. Default 30 s.
   */
  readonly startupTimeoutMs?: number;
  /**
   * How long a worker's running task must have run before the tasks queued
   * behind it may move to a worker with nothing to do. Moving costs a second
   * copy (or encoding) of the task's input, so it waits for a task that is
   * slow or hung rather than one about to finish. Default 50 ms.
   */
  readonly moveAfterMs?: number;
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

/** The most workers, and the most tasks per worker, a pool accepts. */
export const MAX_POOL_SIZE = 1024;
const MAX_PIPELINE_DEPTH = 1024;
/** A worker's queue while a backlog waits: deep enough that the main thread's hand-overs come in bulk. */
const DEFAULT_BACKLOG_DEPTH = 32;

interface Task {
  readonly id: number;
  readonly kernelId: number;
  input: unknown;
  /** The kernel's address as workers are sent it: a bare specifier already resolved to a file. */
  readonly ref: KernelRef;
  transfer: readonly Transferable[] | undefined;
  readonly reencode: RunOptions["reencode"];
  /** Its input was transferred to a worker: sending it again needs `reencode`. */
  inputGone: boolean;
  readonly timeoutMs: number | undefined;
  /** The caller's, filled in when the task succeeds. */
  readonly timing: TaskTiming | undefined;
  readonly urgent: boolean;
  /** Already run again once after its worker died under it. */
  retried: boolean;
  /** Sent with its kernel's address: the worker loads the module first, and says when the task starts. */
  loading: boolean;
  /** Its cell on its worker's claim board, or -1, and the ticket of its send there. */
  cell: number;
  ticket: number;
  /** The worker holding it now, if any. */
  holder: Slot | undefined;
  /** This thread's time sending the input (its clone or transfer), last time it was sent. */
  sendMs: number;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
  settled: boolean;
}

interface Slot {
  readonly index: number;
  readonly host: WorkerHost;
  /** Kernel ids this worker has been told about. */
  readonly knownKernels: Set<number>;
  /** Tasks sent to this worker, oldest first; the oldest is the one running. */
  readonly inFlight: Task[];
  cancelHeadTimer: (() => void) | undefined;
  /** When its running task started (the clock's time), for `moveAfterMs`. */
  headSince: number;
  dead: boolean;
  /** It could not be sent a request: its worker is gone, and its death is on the way. It is sent nothing. */
  unreachable: boolean;
  /** It has answered at least once (a worker that dies before it ever does is failing to start). */
  answered: boolean;
  /**
   * It is sent nothing until its running task answers: a task was moved off it (its running task is
   * slow or hung), or its running task is one that crashed the worker before and must run alone.
   */
  stuck: boolean;
}

/** The longest a slot waits before it starts another worker, after workers there kept dying at start-up. */
const MAX_RESPAWN_DELAY_MS = 5_000;

/** Pools not closed yet. When the program is about to end with some left, it is told once. */
const unclosedPools = new Set<HostPool>();
let watchingUnclosed = false;
function watchUnclosed(pool: HostPool): void {
  unclosedPools.add(pool);
  if (watchingUnclosed) return;
  watchingUnclosed = true;
  process.once("beforeExit", () => {
    if (unclosedPools.size === 0) return;
    const byKind = new Map<string, number>();
    for (const pool of unclosedPools) byKind.set(pool.constructor.name, (byKind.get(pool.constructor.name) ?? 0) + 1);
    const kinds = [...byKind].map(([kind, count]) => `${count} ${kind}${count === 1 ? "" : "s"}`).join(" and ");
    console.warn(
      `poolstream: ${kinds} ${unclosedPools.size === 1 ? "was" : "were"} not closed before the program ended; ` +
        "close each with `await using` or `await pool.close()` so that its tasks drain",
    );
  });
}

/**
 * The executor every poolstream pool is: a fixed set of workers from a
 * `WorkerHostFactory`. Use `WorkerPool` (threads) or `ProcessPool`
 * (`@poolstream/process`); this class is for a new kind of worker. Create it
 * in the program, never in a module that defines kernels (see
 * `NestedPoolError`), and close it with `await using` or `close()`.
 */
export class HostPool implements Executor {
  /** Number of workers; a dead one is replaced, so there are always this many. */
  readonly size: number;
  /** Tasks each worker holds at once: the running one and those queued behind it. */
  readonly pipelineDepth: number;
  /** Tasks each worker may hold while a backlog waits (see `PoolOptions.backlogDepth`). */
  readonly backlogDepth: number;
  readonly #hosts: WorkerHostFactory;
  readonly #name: string;
  readonly #taskTimeoutMs: number | undefined;
  readonly #closeTimeoutMs: number;
  readonly #startupTimeoutMs: number;
  readonly #moveAfterMs: number;
  readonly #clock: Clock;
  readonly #slots: (Slot | undefined)[];
  readonly #urgent = new Deque<Task>();
  readonly #normal = new Deque<Task>();
  readonly #idleWaiters: (() => void)[] = [];
  /** Kernel numbers (so requests carry a number instead of two strings) and the address workers are sent. */
  readonly #kernels = new WeakMap<KernelRef, { readonly id: number; readonly sent: KernelRef }>();
  readonly #resolutionBases: readonly string[];
  /** Per slot, how many workers in a row died before they ever answered. */
  readonly #startupDeaths: number[];
  /** Workers waiting to be started again after such deaths, and the timers that will start them. */
  readonly #respawnTimers = new Map<number, () => void>();
  #moveTimer: (() => void) | undefined;
  #kernelCount = 0;
  #nextTaskId = 1;
  #inFlight = 0;
  #closing: Promise<void> | undefined;
  #destroyed = false;
  #completed = 0;
  #failed = 0;
  #crashes = 0;
  #interrupted = 0;
  #moved = 0;
  #timeouts = 0;
  #workersStarted = 0;

  /**
   * Starts `size` workers from `hosts`. Throws `InvalidArgumentError` for an
   * option out of range, and `NestedPoolError` when called while a worker is
   * importing a kernel's module.
   */
  constructor(hosts: WorkerHostFactory, options: PoolOptions = {}) {
    if (isLoadingKernelModule()) {
      throw new NestedPoolError(
        `a ${new.target.name} was created while a worker was importing a kernel's module: the module that defines ` +
          "the kernels also creates the pool, so every worker would create another pool. Move the kernels into a " +
          "module of their own, or guard the program with `if (import.meta.main) { ... }`",
      );
    }
    this.#hosts = hosts;
    this.size = checkInteger("size", options.size ?? 4, MAX_POOL_SIZE);
    this.pipelineDepth = checkInteger("pipelineDepth", options.pipelineDepth ?? 2, MAX_PIPELINE_DEPTH);
    this.backlogDepth = checkInteger(
      "backlogDepth",
      options.backlogDepth ?? Math.max(this.pipelineDepth, DEFAULT_BACKLOG_DEPTH),
      MAX_PIPELINE_DEPTH,
    );
    if (this.backlogDepth < this.pipelineDepth) {
      throw new InvalidArgumentError(
        `backlogDepth must be at least pipelineDepth (${this.pipelineDepth}), got ${this.backlogDepth}`,
      );
    }
    this.#taskTimeoutMs =
      options.taskTimeoutMs === undefined ? undefined : checkDurationMs("taskTimeoutMs", options.taskTimeoutMs);
    this.#closeTimeoutMs = checkDurationMs("closeTimeoutMs", options.closeTimeoutMs ?? 30_000);
    this.#startupTimeoutMs = checkDurationMs("startupTimeoutMs", options.startupTimeoutMs ?? 30_000);
    this.#moveAfterMs = checkDurationMs("moveAfterMs", options.moveAfterMs ?? 50);
    this.#name = options.name ?? "poolstream";
    this.#clock = options.clock ?? systemClock;
    try {
      this.#resolutionBases = resolutionBases(options.resolveFrom);
    } catch (error) {
      throw new InvalidArgumentError(`resolveFrom must be a path or a file: URL, got ${String(options.resolveFrom)}`, {
        cause: error,
      });
    }
    this.#startupDeaths = new Array<number>(this.size).fill(0);
    // Start every worker now: their start-up cost belongs to construction, not to the first batches.
    this.#slots = Array.from({ length: this.size }, (_, index) => this.#spawn(index));
    watchUnclosed(this);
  }

  /** Tasks it holds at once, `size × pipelineDepth`: enough to keep every worker busy. */
  get capacity(): number {
    return this.size * this.pipelineDepth;
  }

  /**
   * Runs `task(input)` on a worker. Rejects with `TaskFailedError` when the
   * kernel threw (or its module could not be loaded), `WorkerCrashedError`
   * when its worker died, `TaskTimeoutError` past its timeout,
   * `WorkerStartupError` when its worker could not start it in time,
   * `PoolClosedError` when the pool closed first, `AbortError` when `signal`
   * fired first, and `InvalidArgumentError` for a task that is not a kernel,
   * an input that cannot be sent, or a `timeoutMs` out of range.
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
        // A task still waiting is withdrawn, in the pool or on a worker that has not started it; one already
        // started finishes, and its result is dropped. Either queue: a task requeued after its worker died
        // waits among the urgent ones.
        this.#urgent.remove(entry);
        this.#normal.remove(entry);
        this.#settle(entry, new AbortError(signal?.reason));
        const holder = entry.holder;
        if (holder !== undefined && holder.inFlight.indexOf(entry) > 0) this.#takeBack(holder, entry);
        this.#notifyIfIdle();
      };
      const kernel = this.#kernelOf(ref);
      const entry: Task = {
        id: this.#nextTaskId++,
        kernelId: kernel.id,
        input,
        ref: kernel.sent,
        transfer: options.transfer,
        reencode: options.reencode,
        inputGone: false,
        timeoutMs,
        timing: options.timing,
        urgent: options.priority === "urgent",
        retried: false,
        loading: false,
        cell: -1,
        ticket: 0,
        holder: undefined,
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
      (entry.urgent ? this.#urgent : this.#normal).push(entry);
      this.#dispatch();
    });
  }

  /**
   * Stops accepting tasks, waits for the accepted ones (at most
   * `closeTimeoutMs`, then rejects what is left with `PoolClosedError`), and
   * ends every worker. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    unclosedPools.delete(this);
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Rejects every waiting and running task with `PoolClosedError` and ends the workers now. */
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
      moved: this.#moved,
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
    await Promise.all(this.#slots.map((slot) => slot?.host.exited));
  }

  #destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#moveTimer?.();
    for (const cancel of this.#respawnTimers.values()) cancel();
    this.#respawnTimers.clear();
    const error = new PoolClosedError("pool was closed before the task finished");
    for (const task of [...this.#urgent.drain(), ...this.#normal.drain()]) this.#settle(task, error);
    for (const slot of this.#slots) {
      if (slot === undefined) continue;
      slot.dead = true;
      slot.cancelHeadTimer?.();
      for (const task of slot.inFlight.splice(0)) this.#finish(task, error);
      // Held until it is gone, so that `await close()` resolves before the program can end.
      slot.host.keepAlive(true);
      slot.host.terminate();
    }
    this.#notifyIfIdle();
  }

  #spawn(index: number): Slot {
    const slot: Slot = {
      index,
      host: this.#hosts.spawn(`${this.#name}-${index}`, this.backlogDepth, {
        message: (message, receivedAt) => {
          slot.answered = true;
          if ("started" in message) this.#onStarted(slot, message.id);
          else this.#onResponse(slot, message, receivedAt);
        },
        died: (error) => this.#onDeath(slot, error),
        unsendable: (taskId, error) => this.#onUnsendable(slot, taskId, error),
        sent: (taskId, postMs) => {
          const task = slot.inFlight.find((held) => held.id === taskId);
          if (task !== undefined) task.sendMs += postMs;
        },
      }),
      knownKernels: new Set(),
      inFlight: [],
      cancelHeadTimer: undefined,
      headSince: 0,
      dead: false,
      unreachable: false,
      answered: false,
      stuck: false,
    };
    // Idle until it is given a task: an idle worker does not keep the program alive, so a program that
    // forgets close() still ends (with a warning) instead of waiting for ever.
    slot.host.keepAlive(false);
    this.#workersStarted++;
    return slot;
  }

  #onResponse(slot: Slot, response: TaskResponse, receivedAt: number): void {
    const index = slot.inFlight.findIndex((task) => task.id === response.id);
    if (index < 0) return; // Settled already (the pool was destroyed).
    const task = this.#takeOff(slot, index);
    if (index === 0) slot.stuck = false;
    if (response.ok) {
      this.#completed++;
      const { timing } = task;
      if (timing !== undefined) {
        // The listener read the message after `receivedAt`, so the output's deserialization is counted here.
        const receiveMs = performance.now() - receivedAt;
        timing.startedAtMs = response.startedAtMs;
        timing.finishedAtMs = response.finishedAtMs;
        timing.costMs = response.finishedAtMs - response.startedAtMs + task.sendMs + receiveMs;
      }
      this.#finish(task, undefined, response.output);
    } else {
      this.#failed++;
      // Its kernel's module failed to load: the next task of that kernel loads it again, with the start-up bound.
      if (task.loading) slot.knownKernels.delete(task.kernelId);
      this.#finish(task, new TaskFailedError(response.error));
    }
    this.#dispatch();
  }

  /**
   * Takes the task at `index` off `slot`'s worker (it answered, or never
   * reached it): its cell is free, an idle worker no longer keeps the program
   * alive, and when it was the head the next task's clock starts.
   */
  #takeOff(slot: Slot, index: number): Task {
    const [task] = slot.inFlight.splice(index, 1) as [Task];
    this.#leave(slot, task);
    if (slot.inFlight.length === 0) slot.host.keepAlive(false);
    if (index === 0) this.#startHeadTimer(slot);
    return task;
  }

  /** The worker loaded a task's kernel and started it: its timeout counts from now. */
  #onStarted(slot: Slot, id: number): void {
    const task = slot.inFlight.find((t) => t.id === id);
    if (task === undefined || !task.loading) return;
    task.loading = false;
    if (slot.inFlight[0] === task) this.#startHeadTimer(slot);
  }

  /**
   * A worker died or was given up on: a fresh one takes its place, the task
   * it was running fails (or, after a crash, runs once more alone on the
   * fresh worker), and the tasks waiting behind it go back to the front.
   */
  #onDeath(slot: Slot, error: WorkerCrashedError | TaskTimeoutError | WorkerStartupError): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.cancelHeadTimer?.();
    slot.host.terminate();
    if (error instanceof TaskTimeoutError || error instanceof WorkerStartupError) this.#timeouts++;
    else this.#crashes++;
    // Tasks before the one it was running had finished, but their answers died with it: they run again.
    const runningAt = this.#runningIndex(slot);
    const finished = slot.inFlight.splice(0, runningAt);
    const [running, ...waiting] = slot.inFlight.splice(0);
    for (const task of [...finished, running, ...waiting]) if (task !== undefined) task.holder = undefined;
    this.#inFlight -= finished.length + waiting.length;
    for (const task of [...finished, ...waiting].reverse()) {
      if (task.settled) continue;
      // Its transferred input went with the worker: it goes back only if it can be made again.
      const lost = this.#remakeInput(task);
      if (lost === undefined) this.#urgent.unshift(task);
      else this.#settle(task, lost === "no way" ? error : lost);
    }
    const replacement = this.#replace(slot);
    if (running !== undefined) {
      if (this.#mayRunAgain(running, error) && this.#remakeInput(running) === undefined) {
        // It may be innocent: a worker also dies of what its previous task left behind. On a fresh
        // worker, with nothing before or beside it, a second death is its own.
        running.retried = true;
        this.#interrupted++;
        this.#inFlight--;
        if (replacement === undefined) this.#urgent.unshift(running);
        else {
          this.#send(replacement, running);
          replacement.stuck = true;
        }
      } else {
        this.#finish(running, error);
      }
    }
    this.#dispatch();
  }

  /**
   * Starts the worker that takes a dead one's place, at once, or after a
   * delay when the workers of that slot keep dying before they ever answer
   * (a worker that cannot start would otherwise be restarted in a tight
   * loop). Returns it when it was started now.
   */
  #replace(dead: Slot): Slot | undefined {
    const { index } = dead;
    this.#slots[index] = undefined;
    if (this.#destroyed) return undefined;
    const deathsInARow = dead.answered ? 0 : (this.#startupDeaths[index] ?? 0) + 1;
    this.#startupDeaths[index] = deathsInARow;
    if (deathsInARow < 2) {
      const slot = this.#trySpawn(index);
      if (slot !== undefined) return slot;
    }
    const delayMs = Math.min(MAX_RESPAWN_DELAY_MS, 50 * 2 ** Math.max(0, deathsInARow - 2));
    this.#respawnTimers.set(
      index,
      this.#clock.setTimer(delayMs, () => {
        this.#respawnTimers.delete(index);
        if (this.#destroyed || this.#trySpawn(index) !== undefined) this.#dispatch();
        else this.#replace({ ...dead, answered: false });
      }),
    );
    return undefined;
  }

  /** Starts a worker in `index`; undefined when the system refused (no threads or processes left). */
  #trySpawn(index: number): Slot | undefined {
    try {
      const slot = this.#spawn(index);
      this.#slots[index] = slot;
      return slot;
    } catch {
      return undefined;
    }
  }

  /** A task interrupted by its worker's crash runs once more, unless it already did. */
  #mayRunAgain(task: Task, error: Error): boolean {
    return error instanceof WorkerCrashedError && !task.retried && !task.settled && !this.#destroyed;
  }

  /**
   * Gives a task whose input was transferred to a worker a fresh input,
   * through `reencode`. Undefined when the task has its input (now, or
   * already); `"no way"` when it has no `reencode`; the error `reencode` threw.
   */
  #remakeInput(task: Task): Error | "no way" | undefined {
    if (!task.inputGone) return undefined;
    const fresh = freshInput(task);
    if (fresh instanceof Error || fresh === "no way") return fresh;
    task.input = fresh.input;
    task.transfer = fresh.transfer;
    task.inputGone = false;
    return undefined;
  }

  #dispatch(): void {
    for (;;) {
      const task = this.#urgent.peek() ?? this.#normal.peek();
      if (task === undefined) break;
      const slot = task.urgent ? this.#slotForUrgent() : this.#leastLoadedSlot(this.#depthNow());
      if (slot === undefined) break;
      (this.#urgent.length > 0 ? this.#urgent : this.#normal).shift();
      if (task.settled) continue;
      this.#send(slot, task);
    }
    if (this.#urgent.length === 0 && this.#normal.length === 0) this.#moveWaitingTasks();
    this.#notifyIfIdle();
  }

  /** Sends `task` (whose input is here) to `slot`'s worker. */
  #send(slot: Slot, task: Task): void {
    slot.inFlight.push(task);
    task.holder = slot;
    if (slot.inFlight.length === 1) slot.host.keepAlive(true);
    this.#inFlight++;
    const firstTime = !slot.knownKernels.has(task.kernelId);
    task.loading = firstTime;
    const offered = slot.host.claims?.offer();
    task.cell = offered?.cell ?? -1;
    task.ticket = offered?.ticket ?? 0;
    const { id, kernelId, input, cell: claim, ticket } = task;
    const base: TaskRequest =
      task.timeoutMs === undefined
        ? { id, kernelId, input, claim, ticket }
        : { id, kernelId, input, claim, ticket, timed: true };
    const request: TaskRequest = firstTime ? { ...base, kernel: task.ref } : base;
    if (slot.inFlight.length === 1) this.#startHeadTimer(slot);
    try {
      const sendStart = performance.now();
      const moved = slot.host.send(request, task.transfer);
      task.sendMs = performance.now() - sendStart;
      if (task.transfer !== undefined && moved) task.inputGone = true;
      if (firstTime) slot.knownKernels.add(task.kernelId);
    } catch (error) {
      slot.inFlight.pop();
      this.#leave(slot, task);
      this.#inFlight--;
      if (slot.inFlight.length === 0) {
        slot.cancelHeadTimer?.();
        slot.host.keepAlive(false);
      }
      if (error instanceof WorkerCrashedError) {
        // The worker is gone and its death not reported yet: the task goes back, the worker gets nothing more.
        slot.unreachable = true;
        slot.host.terminate();
        this.#urgent.unshift(task);
        return;
      }
      this.#failUnsendable(task, error);
    }
  }

  /** The input could not be cloned: that is the task's fault, not the worker's. */
  #failUnsendable(task: Task, error: unknown): void {
    this.#failed++;
    this.#settle(task, new InvalidArgumentError("task input could not be sent to a worker", { cause: error }));
    this.#notifyIfIdle();
  }

  /** A request its host accepted and then could not send: the task fails, the worker never saw it. */
  #onUnsendable(slot: Slot, taskId: number, error: unknown): void {
    const index = slot.inFlight.findIndex((task) => task.id === taskId);
    if (index < 0) return;
    const task = this.#takeOff(slot, index);
    this.#inFlight--;
    // Its kernel's address went with it, so the worker may not know that kernel: the next task of it carries it.
    if (task.loading) slot.knownKernels.delete(task.kernelId);
    this.#failUnsendable(task, error);
    this.#dispatch();
  }

  /**
   * Tasks waiting on a worker behind one that has run for `moveAfterMs`
   * move to workers that have nothing to do, the oldest (urgent first) first.
   * Only tasks the worker has not started can move: the claim board decides,
   * so none runs twice. The worker they were taken from gets nothing more
   * until its running task answers. When a task could move later, a timer
   * looks again then.
   */
  #moveWaitingTasks(): void {
    for (const idle of this.#slots) {
      if (idle === undefined || !this.#canTake(idle) || idle.inFlight.length > 0) continue;
      const task = this.#takeBackWaitingTask();
      if (task === undefined) return;
      this.#send(idle, task);
    }
  }

  /** Takes back the oldest task some worker holds, has not started, and has held long enough; arms a timer for later ones. */
  #takeBackWaitingTask(): Task | undefined {
    const now = this.#clock.now();
    let soonest = Number.POSITIVE_INFINITY;
    for (;;) {
      let best: { readonly slot: Slot; readonly task: Task } | undefined;
      for (const slot of this.#slots) {
        if (slot === undefined || slot.dead || slot.inFlight.length < 2 || slot.host.claims === undefined) continue;
        const waitMs = slot.headSince + this.#moveAfterMs - now;
        if (waitMs > 0) {
          soonest = Math.min(soonest, waitMs);
          continue;
        }
        for (let index = 1; index < slot.inFlight.length; index++) {
          const task = slot.inFlight[index] as Task;
          if (task.inputGone && task.reencode === undefined) continue; // Its input is there and cannot be made again.
          if (best === undefined || isBefore(task, best.task)) best = { slot, task };
        }
      }
      if (best === undefined) break;
      const { slot, task } = best;
      if (this.#takeBack(slot, task) !== "taken") {
        // The worker started it already (so it finished those before it), or its input cannot be made
        // again: leave that worker be for now.
        slot.headSince = now;
        continue;
      }
      if (task.settled) continue; // Aborted meanwhile: taken back so that it runs nowhere.
      slot.stuck = true;
      this.#moved++;
      return task;
    }
    if (Number.isFinite(soonest) && this.#moveTimer === undefined && !this.#destroyed) {
      this.#moveTimer = this.#clock.setTimer(soonest, () => {
        this.#moveTimer = undefined;
        this.#dispatch();
      });
    }
    return undefined;
  }

  /**
   * Takes back `task`, which `slot`'s worker holds: "taken" when it is back here, off that worker, with an
   * input to send again (a transferred one is made again first, so that a failure leaves it where it was);
   * "started" when the worker started it (the claim board says so, and so it finished those before it);
   * "kept" when it cannot be taken back (no claim board, or an input that cannot be made again).
   */
  #takeBack(slot: Slot, task: Task): "taken" | "started" | "kept" {
    const claims = slot.host.claims;
    if (claims === undefined) return "kept";
    const fresh = task.inputGone && !task.settled ? freshInput(task) : undefined;
    if (fresh instanceof Error || fresh === "no way") return "kept";
    if (!claims.withdraw(task.ticket, task.cell)) return "started";
    slot.inFlight.splice(slot.inFlight.indexOf(task), 1);
    this.#leave(slot, task);
    this.#inFlight--;
    // It carried its kernel's address to that worker, which will not load it for this task: the next
    // task of that kernel sent there carries the address again, and is bounded as a start-up.
    if (task.loading) slot.knownKernels.delete(task.kernelId);
    if (fresh !== undefined) {
      task.input = fresh.input;
      task.transfer = fresh.transfer;
      task.inputGone = false;
    }
    return "taken";
  }

  /** `task` left `slot`'s worker: its cell on the claim board is free again. */
  #leave(slot: Slot, task: Task): void {
    if (task.cell >= 0) slot.host.claims?.release(task.cell);
    task.cell = -1;
    task.holder = undefined;
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

  /** A slot that may be sent a task now: alive, reachable, not held for its running task. */
  #canTake(slot: Slot): boolean {
    return !slot.dead && !slot.unreachable && !slot.stuck;
  }

  #leastLoadedSlot(depth: number): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot === undefined || !this.#canTake(slot) || slot.inFlight.length >= depth) continue;
      if (best === undefined || slot.inFlight.length < best.inFlight.length) best = slot;
    }
    return best;
  }

  /**
   * How many tasks a worker may hold now: `pipelineDepth`, or `backlogDepth`
   * while normal tasks wait that the workers could not take at
   * `pipelineDepth` (everything submitted at once).
   */
  #depthNow(): number {
    if (this.backlogDepth === this.pipelineDepth || this.#urgent.length > 0) return this.pipelineDepth;
    return this.#normal.length > 0 ? this.backlogDepth : this.pipelineDepth;
  }

  /**
   * Where an urgent task goes: a worker below `pipelineDepth`, as always; when
   * every worker holds more (a backlog was handed over), the least loaded one,
   * after it gives back the normal tasks it has not started, so that the
   * urgent task waits behind its running task only. Those go back to the
   * front of the queue, in order, and are sent again after it.
   */
  #slotForUrgent(): Slot | undefined {
    const shallow = this.#leastLoadedSlot(this.pipelineDepth);
    if (shallow !== undefined || this.backlogDepth === this.pipelineDepth) return shallow;
    // Even a worker holding backlogDepth tasks: it gives back those it has not started, making room.
    const slot = this.#leastLoadedSlot(this.backlogDepth + 1);
    if (slot === undefined) return slot;
    const takenBack: Task[] = [];
    for (let index = slot.inFlight.length - 1; index >= 1 && slot.inFlight.length >= this.pipelineDepth; index--) {
      const task = slot.inFlight[index] as Task;
      if (task.urgent) continue;
      const outcome = this.#takeBack(slot, task);
      // The worker started it meanwhile (so it finished those before it): the rest stay too.
      if (outcome === "started") break;
      if (outcome === "taken" && !task.settled) takenBack.push(task);
    }
    // Taken from the back, so unshifted in that order: the queue's front is then in the original order.
    for (const task of takenBack) this.#normal.unshift(task);
    return slot.inFlight.length < this.backlogDepth ? slot : undefined;
  }

  /**
   * Where the task `slot`'s worker is running stands in its `inFlight`: the
   * last one it started, by the claim board (a worker runs its tasks in
   * order, so it finished those before). Usually the head; a worker may hold
   * the answers of tasks that took microseconds to send them together (see
   * `worker-entry.ts`). 0 without a claim board.
   */
  #runningIndex(slot: Slot): number {
    const claims = slot.host.claims;
    if (claims === undefined) return 0;
    for (let index = slot.inFlight.length - 1; index >= 1; index--) {
      const task = slot.inFlight[index] as Task;
      if (task.cell >= 0 && claims.started(task.ticket, task.cell)) return index;
    }
    return 0;
  }

  /**
   * The timeout clock of a task starts when it reaches the head of its
   * worker, i.e. when it starts running. A task whose kernel the worker must
   * load first is bounded by the start-up timeout instead, until the worker
   * says it started (`#onStarted`). When the clock runs out and the worker
   * has started a later task, the head had finished (its answer is on the
   * way): the clock starts again for the task it is running.
   */
  #startHeadTimer(slot: Slot): void {
    slot.cancelHeadTimer?.();
    slot.cancelHeadTimer = undefined;
    slot.headSince = this.#clock.now();
    const head = slot.inFlight[0];
    if (head === undefined) return;
    if (head.loading) {
      const startupMs = this.#startupTimeoutMs;
      slot.cancelHeadTimer = this.#clock.setTimer(startupMs, () => {
        if (slot.inFlight[0] === head && head.loading) this.#onDeath(slot, new WorkerStartupError(startupMs));
      });
      return;
    }
    this.#timeRunning(slot, head);
  }

  /** Times `task`, which `slot`'s worker runs (or finished, holding its answer), from now. */
  #timeRunning(slot: Slot, task: Task): void {
    if (task.timeoutMs === undefined) return;
    const timeoutMs = task.timeoutMs;
    slot.cancelHeadTimer = this.#clock.setTimer(timeoutMs, () => {
      if (!slot.inFlight.includes(task)) return;
      const running = slot.inFlight[this.#runningIndex(slot)] as Task;
      if (running === task) this.#onDeath(slot, new TaskTimeoutError(timeoutMs));
      else this.#timeRunning(slot, running);
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

/** A fresh input for a task whose input is gone: from its `reencode`, or why there is none. */
function freshInput(
  task: Task,
): { readonly input: unknown; readonly transfer?: readonly Transferable[] } | Error | "no way" {
  if (task.reencode === undefined) return "no way";
  try {
    return task.reencode();
  } catch (error) {
    return new InvalidArgumentError("task input could not be made again", { cause: error });
  }
}

/** The task to move first: urgent before normal, then the oldest. */
function isBefore(a: Task, b: Task): boolean {
  return a.urgent !== b.urgent ? a.urgent : a.id < b.id;
}

function checkInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}
