/**
 * An executor wrapper that makes calls fail as if their worker had crashed,
 * for the `faults` program and tests: the production kernels stay free of
 * simulation switches. Whether call n crashes is decided from (seed, n), not
 * drawn when it happens, so a seed crashes the same calls every run (calls
 * are numbered in the order they reach this wrapper).
 */
import {
  createRandom,
  deriveSeed,
  type Executor,
  type ExecutorStats,
  InvalidArgumentError,
  type Kernel,
  type RunOptions,
  WorkerCrashedError,
} from "@poolstream/core";

export interface SimulatedCrashOptions {
  /** Chance that a call crashes, in [0, 1]. */
  readonly probability: number;
  /** Default 1. */
  readonly seed?: number;
  /** The worker's name in the crash message. */
  readonly name?: string;
}

/** `executor`, except that a share of its calls reject with `WorkerCrashedError` without running. */
export function withSimulatedCrashes(
  executor: Executor,
  options: SimulatedCrashOptions,
): Executor & { readonly simulatedCrashes: number } {
  const { probability } = options;
  if (!(typeof probability === "number" && probability >= 0 && probability <= 1)) {
    throw new InvalidArgumentError(`probability must be in [0, 1], got ${probability}`);
  }
  const seed = options.seed ?? 1;
  const who = options.name === undefined ? "a worker" : `worker ${options.name}`;
  let calls = 0;
  let crashes = 0;
  return {
    get capacity() {
      return executor.capacity;
    },
    get simulatedCrashes() {
      return crashes;
    },
    run<I, O>(kernel: Kernel<I, O>, input: I, runOptions?: RunOptions): Promise<O> {
      const call = calls++;
      if (createRandom(deriveSeed(seed, `call:${call}`))() < probability) {
        crashes++;
        return Promise.reject(new WorkerCrashedError(`${who} crashed (simulated, call ${call})`));
      }
      return executor.run(kernel, input, runOptions);
    },
    close: () => executor.close(),
    [Symbol.asyncDispose]: () => executor.close(),
    stats(): ExecutorStats {
      const stats = executor.stats();
      return Object.freeze({ ...stats, crashes: stats.crashes + crashes });
    },
  };
}
