/**
 * Kernels: module-level functions that another thread or process can find by
 * name. A kernel is a plain callable (tests call it in-process) that also
 * carries where it lives: a module specifier and an export name (an executor
 * sends those, never code).
 */
import { InvalidArgumentError } from "./errors.ts";

/** Where a kernel lives: `(await import(module))[exportName]`. */
export interface KernelRef {
  /**
   * A `file:` URL (`import.meta.url`: the kernel runs on this machine) or a
   * bare package specifier such as `"@poolstream/kernels"` (any process that
   * has the package installed can resolve it, on any machine).
   */
  readonly module: string;
  readonly exportName: string;
  /**
   * The worker transfers the buffers of the output's typed arrays back instead
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
 * `exportName`, passing `import.meta.url` or the package name the module is
 * exported from:
 *
 * ```ts
 * export const double = defineKernel(import.meta.url, "double", (xs: number[]) => xs.map((x) => x * 2));
 * ```
 *
 * Gotchas: the export name must match, or the worker will not find it (the
 * first call fails with a `TaskFailedError` that says so); and the module is
 * imported by every worker, so it must not start the program (keep kernels in
 * a module of their own, or guard the program with `import.meta.main`).
 */
export function defineKernel<F extends KernelFunction<never, unknown>>(
  module: string,
  exportName: string,
  fn: F,
  options: KernelOptions = {},
): F & { readonly kernel: KernelRef } {
  if (!isKernelModule(module)) {
    throw new InvalidArgumentError(
      `kernel module must be a file: URL (pass import.meta.url) or a bare package specifier, got ${JSON.stringify(module)}`,
    );
  }
  if (exportName === "") throw new InvalidArgumentError("kernel export name must not be empty");
  // A wrapper, so that attaching the address never touches a function the caller may share.
  const kernel = ((input: never) => fn(input)) as unknown as F & { readonly kernel: KernelRef };
  const ref: KernelRef =
    options.transferOutput === true ? { module, exportName, transferOutput: true } : { module, exportName };
  Object.defineProperty(kernel, "kernel", { value: Object.freeze(ref), enumerable: true });
  Object.defineProperty(kernel, "name", { value: exportName });
  return kernel;
}

/** A `file:` URL, or a bare specifier (`pkg`, `@scope/pkg`, `pkg/sub/path`): not relative, not absolute, no other scheme. */
function isKernelModule(module: string): boolean {
  if (module.startsWith("file:")) return true;
  if (module === "" || module.startsWith(".") || module.startsWith("/")) return false;
  return !/^[a-z][a-z0-9+.-]*:/i.test(module);
}
