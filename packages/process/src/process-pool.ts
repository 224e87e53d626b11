/**
 * The process-isolated executor: a `HostPool` whose workers are child
 * processes. Use it when a kernel may exhaust memory, crash natively or
 * corrupt its process: only its child dies, its task fails (and goes through
 * the pipeline's failure policy), and a fresh child takes its place. The cost
 * is a copy of every input and output through IPC and a slower start; see
 * the benchmark report for how much against `WorkerPool`.
 */
import { InvalidArgumentError } from "@poolstream/core";
import { HostPool, type PoolOptions } from "@poolstream/pool";
import { canLimitMemory, processHosts } from "./internal/process-host.ts";

/** Options of `ProcessPool`: those of every pool, a memory limit, and where the children's errors go. */
export interface ProcessPoolOptions extends PoolOptions {
  /**
   * Tasks sent to one child before it answers. Default 1: a child cannot
   * share a claim board, so a task waiting behind a hung one cannot move to a
   * free child (it waits for the hung task's timeout); with 1 nothing waits
   * behind. Raise it to hide the IPC round trip when tasks do not hang.
   */
  readonly pipelineDepth?: number;
  /**
   * The most memory each child may allocate for data, in MiB (RLIMIT_DATA,
   * set with `ulimit -d`), an integer from 512 to 1,048,576. Past it an
   * allocation fails in that child: its task fails, or the child dies and is
   * replaced. None by default. Bun itself reserves about 300 MiB of data
   * mappings at start-up (measured with Bun 1.4.5: it aborts under 256 MiB),
   * hence the lower bound.
   */
  readonly memoryLimitMb?: number;
  /**
   * Copy each child's standard error to this process's. Default true. With
   * false it goes to a temporary file instead, whose last lines a crash's
   * message quotes (the file is removed when the child ends).
   */
  readonly forwardStderr?: boolean;
}

const MIN_MEMORY_LIMIT_MB = 512;
const MAX_MEMORY_LIMIT_MB = 1024 * 1024;

/**
 * Runs kernels in a fixed set of child processes. Create it in the program,
 * never in a module that defines kernels, and close it with `await using` or
 * `close()`; children also exit on their own when this program ends.
 */
export class ProcessPool extends HostPool {
  /** RLIMIT_DATA of each child in MiB, if one was set. */
  readonly memoryLimitMb: number | undefined;

  /** Starts `size` children. Throws `InvalidArgumentError` for an option out of range. */
  constructor(options: ProcessPoolOptions = {}) {
    const memoryLimitMb = checkMemoryLimit(options.memoryLimitMb);
    super(processHosts({ memoryLimitMb, forwardStderr: options.forwardStderr ?? true }), {
      ...options,
      pipelineDepth: options.pipelineDepth ?? 1,
      // No deeper queues while a backlog waits: a child shares no claim board, so a task queued behind a hung
      // one could not be taken back and moved.
      backlogDepth: options.backlogDepth ?? options.pipelineDepth ?? 1,
      name: options.name ?? "poolstream-process",
    });
    this.memoryLimitMb = memoryLimitMb;
  }
}

function checkMemoryLimit(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < MIN_MEMORY_LIMIT_MB || value > MAX_MEMORY_LIMIT_MB) {
    throw new InvalidArgumentError(
      `memoryLimitMb must be an integer from ${MIN_MEMORY_LIMIT_MB} to ${MAX_MEMORY_LIMIT_MB}, got ${value}`,
    );
  }
  if (!canLimitMemory(value)) {
    throw new InvalidArgumentError(
      `memoryLimitMb ${value} is above this system's hard limit on a process's data (see \`ulimit -H -d\`)`,
    );
  }
  return value;
}
