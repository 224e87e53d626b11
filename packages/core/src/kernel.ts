/**
 * Kernels: module-level functions that a Worker can find by name. A kernel is
 * a plain callable (tests call it in-process) that also carries the URL of its
 * module and its export name (a pool sends those, never code).
 */
import { InvalidArgumentError } from "./errors.ts";

/** Where a Worker finds a kernel: `import(moduleUrl)[exportName]`. */
export interface KernelRef {
  readonly moduleUrl: string;
  readonly exportName: string;
  /**
   * The Worker transfers the buffers of the output's typed arrays back instead
   * of copying them. Only for kernels that return fresh buffers on every call.
   */
  readonly transferOutput?: boolean;
}

export interface KernelOptions {
  /** See `KernelRef.transferOutput`. Default false. */
  readonly transferOutput?: boolean;
}

export type KernelFunction<I, O> = (input: I) => O | Promise<O>;

/** A callable kernel with its address attached. */
export type Kernel<I, O> = KernelFunction<I, O> & { readonly kernel: KernelRef };

/**
 * Declares a kernel. Call it at module level and export the result under
 * `exportName`, passing `import.meta.url`:
 *
 * ```ts
 * export const double = defineKernel(import.meta.url, "double", (xs: number[]) => xs.map((x) => x * 2));
 * ```
 *
 * Gotcha: the export name must match, or the Worker will not find it; the pool
 * reports a mismatch as a `TaskFailedError` on the first call.
 */
export function defineKernel<F extends KernelFunction<never, unknown>>(
  moduleUrl: string,
  exportName: string,
  fn: F,
  options: KernelOptions = {},
): F & { readonly kernel: KernelRef } {
  if (!moduleUrl.startsWith("file:")) {
    throw new InvalidArgumentError(`kernel module must be a file: URL (pass import.meta.url), got ${moduleUrl}`);
  }
  // A wrapper, so that attaching the address never touches a function the caller may share.
  const kernel = ((input: never) => fn(input)) as unknown as F & { readonly kernel: KernelRef };
  const ref: KernelRef =
    options.transferOutput === true ? { moduleUrl, exportName, transferOutput: true } : { moduleUrl, exportName };
  Object.defineProperty(kernel, "kernel", { value: Object.freeze(ref), enumerable: true });
  Object.defineProperty(kernel, "name", { value: exportName });
  return kernel;
}
