/**
 * The fault classes of the chaos suite: what each one does to a task, which
 * executors it can be thrown at, and how a trusted executor must answer it.
 * A fault is chosen per task from seeded weights, so a run is repeatable.
 */
import type { Random } from "@poolstream/core";

export const FaultClass = {
  /** An innocent task: computes its output. */
  none: "none",
  /** The kernel throws. */
  throws: "throws",
  /** The kernel's promise rejects. */
  rejects: "rejects",
  /** The kernel calls `process.exit`. */
  exits: "exits",
  /** An error thrown from a timer while the kernel's promise never settles. */
  uncaught: "uncaught",
  /** The kernel returns its output and leaves a timer behind that throws 1–5 ms later, under the next task. */
  stray: "stray",
  /** The kernel returns a function, which cannot be sent back. */
  unclonable: "unclonable",
  /** A synchronous infinite loop. */
  hangs: "hangs",
  /** A promise that never settles. */
  hangsAsync: "hangsAsync",
  /** The kernel's module takes 150 ms to import (the first time on each worker). */
  slowLoad: "slowLoad",
  /** The input holds a function: it cannot be sent to a worker. */
  unsendable: "unsendable",
  /** The worker's process is killed with SIGKILL (processes only: a thread cannot be killed alone). */
  killed: "killed",
  /** The kernel allocates until the child's memory limit stops it (processes only; a thread would take the process with it). */
  exhaustsMemory: "exhaustsMemory",
} as const;
export type FaultClass = (typeof FaultClass)[keyof typeof FaultClass];

/** What a fault must end as: the output, or a rejection with one of these error names. */
export type Expected = { readonly resolves: true } | { readonly resolves: false; readonly errors: readonly string[] };

export const expectedOutcome: Readonly<Record<FaultClass, Expected>> = {
  none: { resolves: true },
  throws: { resolves: false, errors: ["TaskFailedError"] },
  rejects: { resolves: false, errors: ["TaskFailedError"] },
  exits: { resolves: false, errors: ["WorkerCrashedError"] },
  uncaught: { resolves: false, errors: ["WorkerCrashedError"] },
  stray: { resolves: true },
  unclonable: { resolves: false, errors: ["TaskFailedError"] },
  hangs: { resolves: false, errors: ["TaskTimeoutError"] },
  hangsAsync: { resolves: false, errors: ["TaskTimeoutError"] },
  slowLoad: { resolves: true },
  unsendable: { resolves: false, errors: ["InvalidArgumentError"] },
  killed: { resolves: false, errors: ["WorkerCrashedError"] },
  // Past RLIMIT_DATA the allocation fails: the kernel sees the RangeError (its task fails), or the child dies of it.
  // Its child dies of it (the allocation fails past RLIMIT_DATA) or, on a loaded machine where zero-filling
  // 512 MiB takes longer than the task's timeout, is ended by the timeout first: either way only its child ends.
  exhaustsMemory: { resolves: false, errors: ["WorkerCrashedError", "TaskFailedError", "TaskTimeoutError"] },
};

/** Innocent tasks: they did nothing wrong, so they must resolve with their output. */
export const innocentFaults: ReadonlySet<FaultClass> = new Set([FaultClass.none, FaultClass.slowLoad]);

export type ExecutorKind = "workers" | "processes";

/** Relative weights per executor kind; `none` takes the rest (90 % by default). */
export function faultWeights(kind: ExecutorKind, faultShare: number): ReadonlyMap<FaultClass, number> {
  const faults: [FaultClass, number][] = [
    [FaultClass.throws, 1],
    [FaultClass.rejects, 1],
    [FaultClass.exits, 1],
    [FaultClass.uncaught, 1],
    [FaultClass.stray, 1],
    [FaultClass.unclonable, 1],
    [FaultClass.hangs, 0.5],
    [FaultClass.hangsAsync, 0.5],
    [FaultClass.slowLoad, 1],
    [FaultClass.unsendable, 1],
  ];
  if (kind === "processes") faults.push([FaultClass.killed, 1], [FaultClass.exhaustsMemory, 1]);
  const total = faults.reduce((sum, [, weight]) => sum + weight, 0);
  const weights = new Map<FaultClass, number>([[FaultClass.none, 1 - faultShare]]);
  for (const [fault, weight] of faults) weights.set(fault, (weight / total) * faultShare);
  return weights;
}

/** Draws a fault from `weights` (which sum to 1). */
export function drawFault(weights: ReadonlyMap<FaultClass, number>, random: Random): FaultClass {
  let roll = random();
  for (const [fault, weight] of weights) {
    roll -= weight;
    if (roll < 0) return fault;
  }
  return FaultClass.none;
}
