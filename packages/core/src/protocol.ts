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

/**
 * A kernel output that wants some of its buffers moved rather than copied back
 * to the main thread. Return `transferable(value, buffers)` from a kernel.
 */
export interface TransferableOutput<T> {
  readonly [TRANSFER]: readonly Transferable[];
  readonly value: T;
}

export const TRANSFER: unique symbol = Symbol.for("poolstream.transfer");

/** Marks `value` to be sent with `buffers` transferred (zero-copy) instead of cloned. */
export function transferable<T>(value: T, buffers: readonly Transferable[]): TransferableOutput<T> {
  return { [TRANSFER]: buffers, value };
}

export function isTransferableOutput(value: unknown): value is TransferableOutput<unknown> {
  return typeof value === "object" && value !== null && TRANSFER in value;
}
