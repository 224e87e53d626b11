/**
 * The mark a Worker sets on its thread while it imports a kernel's module. A
 * pool created under that mark means the module that defines the kernels also
 * starts the program, so every Worker would start another pool, and each of
 * those more Workers: `WorkerPool` refuses at once instead. The mark lives on
 * `globalThis` under a registered symbol, so every copy of this package loaded
 * in the thread sees the same one.
 */

const LOADING_KERNEL_MODULE = Symbol.for("poolstream.loadingKernelModule");

type Marked = { [LOADING_KERNEL_MODULE]?: number };

/** True while this thread is importing a kernel's module for a pool Worker. */
export function isLoadingKernelModule(): boolean {
  return ((globalThis as Marked)[LOADING_KERNEL_MODULE] ?? 0) > 0;
}

/** Imports `specifier` with the mark set, clearing it however the import ends. */
export async function importKernelModule(specifier: string): Promise<Record<string, unknown>> {
  const global = globalThis as Marked;
  global[LOADING_KERNEL_MODULE] = (global[LOADING_KERNEL_MODULE] ?? 0) + 1;
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } finally {
    global[LOADING_KERNEL_MODULE] = (global[LOADING_KERNEL_MODULE] ?? 1) - 1;
  }
}
