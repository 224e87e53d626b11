/**
 * @poolstream/pool: the pools that run kernels on a fixed set of workers.
 * `WorkerPool` is the Bun Worker executor; `HostPool` is the scheduling all
 * pools share, for a new kind of worker (`ProcessPool` in
 * `@poolstream/process` is one), with the worker side in `createTaskRunner`.
 */

export { ClaimBoard } from "./claim-board.ts";
export { HostPool, MAX_POOL_SIZE, type PoolOptions } from "./host-pool.ts";
export { createTaskRunner, type TaskRunner, type TaskRunnerOptions, type TaskRunnerPort } from "./task-runner.ts";
export type { WorkerHost, WorkerHostEvents, WorkerHostFactory } from "./worker-host.ts";
export { type SharedMemoryOptions, WorkerPool, type WorkerPoolOptions } from "./worker-pool.ts";
