/** The messages between a pool and its Workers. Plain data only: they cross `postMessage`. */
import type { SerializedError } from "./errors.ts";
import type { KernelRef } from "./kernel.ts";

export interface TaskRequest {
  readonly id: number;
  readonly kernel: KernelRef;
  readonly input: unknown;
}

export type TaskResponse =
  | { readonly id: number; readonly ok: true; readonly output: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };
