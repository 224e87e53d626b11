/**
 * The Bun Worker executor: a `HostPool` whose workers are threads of this
 * process. Threads start fast and exchange buffers without copying, and
 * because a thread shares a claim board with the pool, tasks a stuck thread
 * has not started move to a free one. Columnar batches travel through shared
 * memory by default (see `WorkerPoolOptions.sharedMemory`). A thread shares
 * the process's heap: a kernel that exhausts memory or crashes natively takes
 * the program down, which is what `ProcessPool` (`@poolstream/process`) is for.
 */
import { InvalidArgumentError } from "@poolstream/core";
import { HostPool, type PoolOptions } from "./host-pool.ts";
import { waitAsync } from "./internal/ring-layout.ts";
import { type RingSettings, type TransportCounts, threadHosts } from "./internal/thread-host.ts";

/** Settings of the shared-memory transport. */
export interface SharedMemoryOptions {
  /**
   * Bytes of one slot: a batch's columns (37 bytes per record) and its
   * output. A batch that does not fit travels as transferred columns, and an
   * output that does not fit (or is not a typed array) as a message. Each
   * worker has `backlogDepth` slots. A multiple of 8 from 1 KiB to 64 MiB.
   * Default 128 KiB (batches up to ~2,900 records with one Float64 out each).
   */
  readonly slotBytes?: number;
  /**
   * How the pool learns that a worker wrote answers: `"wait-async"` waits on
   * a shared counter with `Atomics.waitAsync` (no message per batch);
   * `"message"` has the worker ring a doorbell, one small message for the
   * answers written while the pool was not looking. Default `"wait-async"`
   * where `Atomics.waitAsync` exists, else `"message"`.
   */
  readonly completion?: "wait-async" | "message";
}

/** Options of `WorkerPool`: those of every pool, and the shared-memory transport's. */
export interface WorkerPoolOptions extends PoolOptions {
  /**
   * Columnar batches (as `columnarTransport` encodes them) are copied into a
   * ring of slots in memory the worker shares, published with `Atomics`, and
   * answered in the slot when the kernel returns a typed array: no message
   * per batch either way. Everything else, and batches that do not fit a
   * slot, travel by message as before, in the same order. `false` sends every
   * batch by message (transferred columns). Default on.
   */
  readonly sharedMemory?: boolean | SharedMemoryOptions;
}

const MIN_SLOT_BYTES = 1024;
const MAX_SLOT_BYTES = 64 * 1024 * 1024;
const DEFAULT_SLOT_BYTES = 128 * 1024;

/**
 * Runs kernels on a fixed set of Bun Workers. Create it in the program, never
 * in a module that defines kernels (see `NestedPoolError`), and close it with
 * `await using` or `close()`.
 */
export class WorkerPool extends HostPool {
  /** The shared-memory transport's settings, or undefined when it is off. */
  readonly sharedMemory: Readonly<Required<SharedMemoryOptions>> | undefined;
  readonly #counts: TransportCounts;

  /**
   * Starts `size` Workers. Throws `InvalidArgumentError` for an option out of
   * range, and `NestedPoolError` when called while a Worker is importing a
   * kernel's module.
   */
  constructor(options: WorkerPoolOptions = {}) {
    const ring = ringSettings(options.sharedMemory);
    const counts: TransportCounts = { sharedMemory: 0, transferred: 0 };
    super(threadHosts(ring, counts), options);
    this.#counts = counts;
    this.sharedMemory = ring === undefined ? undefined : Object.freeze({ ...ring });
  }

  /**
   * How the columnar batches sent to workers so far travelled: through
   * shared memory, or as transferred columns (the transport is off, the
   * batch did not fit a slot, every slot was taken, or it was the first
   * batch of its kernel on that worker, which carries the kernel's address).
   */
  transportStats(): { readonly sharedMemory: number; readonly transferred: number } {
    return Object.freeze({ ...this.#counts });
  }
}

function ringSettings(option: WorkerPoolOptions["sharedMemory"]): RingSettings | undefined {
  if (option === false) return undefined;
  if (option !== undefined && option !== true && (typeof option !== "object" || option === null)) {
    throw new InvalidArgumentError(`sharedMemory must be a boolean or an object, got ${String(option)}`);
  }
  const { slotBytes = DEFAULT_SLOT_BYTES, completion } = option === true || option === undefined ? {} : option;
  if (!Number.isInteger(slotBytes) || slotBytes < MIN_SLOT_BYTES || slotBytes > MAX_SLOT_BYTES || slotBytes % 8 !== 0) {
    throw new InvalidArgumentError(
      `sharedMemory.slotBytes must be a multiple of 8 from ${MIN_SLOT_BYTES} to ${MAX_SLOT_BYTES}, got ${slotBytes}`,
    );
  }
  if (completion !== undefined && completion !== "wait-async" && completion !== "message") {
    throw new InvalidArgumentError(
      `sharedMemory.completion must be "wait-async" or "message", got ${JSON.stringify(completion)}`,
    );
  }
  const canWaitAsync = waitAsync !== undefined;
  if (completion === "wait-async" && !canWaitAsync) {
    throw new InvalidArgumentError(
      'sharedMemory.completion "wait-async" needs Atomics.waitAsync, which this runtime lacks',
    );
  }
  return { slotBytes, completion: completion ?? (canWaitAsync ? "wait-async" : "message") };
}
