/**
 * The executor scenario: thousands of tasks with random faults of every
 * class, thrown at a pool (threads or processes) through a window of
 * outstanding tasks, the way a pipeline drives it. Each task must settle once,
 * as its class says (see `faults.ts`); innocent tasks must resolve with their
 * own output whatever their neighbours did; and once the pool is closed,
 * nothing it started may be left running.
 */
import { createRandom, type ExecutorStats, type RunOptions } from "@poolstream/core";
import { type HostPool, WorkerPool } from "@poolstream/pool";
import { ProcessPool } from "@poolstream/process";
import { childProcesses, settlesWithin, threadsNamed } from "./census.ts";
import { type ChaosOutput, type ChaosTask, chaosTask, computeTask } from "./chaos-kernels.ts";
import { drawFault, type ExecutorKind, expectedOutcome, FaultClass, faultWeights, innocentFaults } from "./faults.ts";
import { slowChaosTask } from "./slow-chaos-kernel.ts";

export interface ExecutorChaosOptions {
  readonly kind: ExecutorKind;
  readonly batches: number;
  /** Share of tasks that misbehave, in [0, 1]. */
  readonly faultShare: number;
  readonly seed: number;
  readonly workers: number;
  readonly taskTimeoutMs: number;
  /** Tasks outstanding at once. */
  readonly window: number;
  /** A task not settled this long after the last one was submitted counts as unsettled. */
  readonly deadlineMs: number;
  /** Stops submitting tasks (those submitted still settle and are counted). */
  readonly signal?: AbortSignal;
  /** Called after each settled task. */
  readonly onProgress?: (settled: number, total: number) => void;
}

/** How the tasks of one fault class ended. */
export interface FaultTally {
  batches: number;
  resolved: number;
  /** Rejections, by error name. */
  readonly rejected: Map<string, number>;
  /** Resolved with an output that was not its own, or ended other than its class says. */
  unexpected: number;
  unsettled: number;
}

export interface ExecutorChaosResult {
  readonly kind: ExecutorKind;
  readonly batches: number;
  readonly perFault: ReadonlyMap<FaultClass, FaultTally>;
  /** Innocent tasks (no fault, a slow module) that did not resolve with their output. */
  readonly innocentFailed: number;
  readonly unsettled: number;
  readonly unexpected: number;
  readonly stats: ExecutorStats;
  readonly elapsedMs: number;
  readonly closeMs: number;
  readonly threadsLeft: number;
  readonly processesLeft: number;
}

const VALUES_PER_TASK = 64;
/** The pool's name, which its Worker threads carry: how the census finds them. */
const POOL_NAME = "chaos-pool";

function openExecutor(kind: ExecutorKind, workers: number, taskTimeoutMs: number): HostPool {
  return kind === "workers"
    ? new WorkerPool({ size: workers, taskTimeoutMs, name: POOL_NAME })
    : new ProcessPool({ size: workers, taskTimeoutMs, memoryLimitMb: 512, forwardStderr: false, name: POOL_NAME });
}

export async function runExecutorChaos(options: ExecutorChaosOptions): Promise<ExecutorChaosResult> {
  const random = createRandom(options.seed);
  const weights = faultWeights(options.kind, options.faultShare);
  const perFault = new Map<FaultClass, FaultTally>();
  const tally = (fault: FaultClass): FaultTally => {
    let entry = perFault.get(fault);
    if (entry === undefined) {
      entry = { batches: 0, resolved: 0, rejected: new Map(), unexpected: 0, unsettled: 0 };
      perFault.set(fault, entry);
    }
    return entry;
  };
  const executor = openExecutor(options.kind, options.workers, options.taskTimeoutMs);
  const started = performance.now();
  const outstanding = new Set<Promise<void>>();
  const unsettled = new Map<number, FaultClass>();
  let settled = 0;
  let innocentFailed = 0;
  let unexpected = 0;
  try {
    for (let id = 0; id < options.batches && options.signal?.aborted !== true; id++) {
      while (outstanding.size >= options.window) await Promise.race(outstanding);
      const fault = drawFault(weights, random);
      const task: ChaosTask = {
        id,
        fault,
        values: new Float64Array(VALUES_PER_TASK).fill(id % 7),
        ...(fault === FaultClass.unsendable ? { extra: () => id } : {}),
      };
      const expectedOutput = computeTask(task);
      const runOptions = chaosRunOptions(task, random);
      const kernel = fault === FaultClass.slowLoad ? slowChaosTask : chaosTask;
      tally(fault).batches++;
      unsettled.set(id, fault);
      const done = executor.run(kernel, task, runOptions).then(
        (output) => {
          const entry = tally(fault);
          entry.resolved++;
          const own = isOutput(output, expectedOutput);
          if (!own || !expectedOutcome[fault].resolves) {
            entry.unexpected++;
            unexpected++;
          }
          if (!own && innocentFaults.has(fault)) innocentFailed++;
        },
        (error: unknown) => {
          const entry = tally(fault);
          const name = error instanceof Error ? error.name : typeof error;
          entry.rejected.set(name, (entry.rejected.get(name) ?? 0) + 1);
          const expected = expectedOutcome[fault];
          if (expected.resolves || !expected.errors.includes(name)) {
            entry.unexpected++;
            unexpected++;
          }
          if (innocentFaults.has(fault)) innocentFailed++;
        },
      );
      const tracked = done.finally(() => {
        outstanding.delete(tracked);
        unsettled.delete(id);
        settled++;
        options.onProgress?.(settled, options.batches);
      });
      outstanding.add(tracked);
    }
    let cancelDeadline: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      cancelDeadline = setTimeout(resolve, options.deadlineMs);
    });
    await Promise.race([Promise.all(outstanding), deadline]);
    clearTimeout(cancelDeadline);
  } catch (error) {
    await executor.destroy();
    throw error;
  }
  const elapsedMs = performance.now() - started;
  for (const fault of unsettled.values()) tally(fault).unsettled++;
  const stats = executor.stats();
  const closeStart = performance.now();
  // Every task settled: close has nothing to wait for but its workers. Otherwise it would wait for them.
  await (unsettled.size === 0 ? executor.close() : executor.destroy());
  const closeMs = performance.now() - closeStart;
  // Threads and processes end shortly after they are told to: give them a second.
  await settlesWithin(() => threadsNamed(POOL_NAME) === 0 && childProcesses().length === 0, 1_000);
  return {
    kind: options.kind,
    batches: options.batches,
    perFault,
    innocentFailed,
    unsettled: unsettled.size,
    unexpected,
    stats,
    elapsedMs,
    closeMs,
    threadsLeft: threadsNamed(POOL_NAME),
    processesLeft: childProcesses().length,
  };
}

/** Half the tasks send their values transferred (with a way to make them again), a tenth as urgent. */
function chaosRunOptions(task: ChaosTask, random: () => number): RunOptions {
  const urgent = random() < 0.1;
  const transferred = random() < 0.5 && task.fault !== FaultClass.unsendable;
  if (!transferred) return urgent ? { priority: "urgent" } : {};
  return {
    ...(urgent ? { priority: "urgent" as const } : {}),
    transfer: [task.values.buffer],
    reencode: () => {
      const values = new Float64Array(VALUES_PER_TASK).fill(task.id % 7);
      return { input: { ...task, values }, transfer: [values.buffer] };
    },
  };
}

function isOutput(output: unknown, expected: ChaosOutput): boolean {
  const got = output as Partial<ChaosOutput> | null;
  return got !== null && typeof got === "object" && got.id === expected.id && got.sum === expected.sum;
}
