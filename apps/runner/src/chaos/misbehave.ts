/**
 * What each fault class does inside a kernel. Kept apart from the kernels'
 * modules so that the quick and the slow-to-load module do the same.
 */
import type { FaultClass } from "./faults.ts";

/** Runs `compute` the way `fault` says: honestly, or by failing, dying or hanging in its own way. */
export function misbehave<T>(fault: FaultClass, compute: () => T): T | Promise<T> | (() => number) {
  switch (fault) {
    case "throws":
      throw new Error("chaos: the kernel throws");
    case "rejects":
      return (async () => {
        await null;
        throw new Error("chaos: the kernel's promise rejects");
      })();
    case "exits":
      process.exit(3);
      break;
    case "uncaught":
      setTimeout(() => {
        throw new Error("chaos: an error thrown from a timer");
      }, 1);
      return new Promise<never>(() => {});
    case "stray": {
      const output = compute();
      setTimeout(
        () => {
          throw new Error("chaos: an error the previous task left behind");
        },
        1 + Math.floor(Math.random() * 5),
      );
      return output;
    }
    case "unclonable":
      return () => 1;
    case "hangs":
      for (;;) {
        // the point is to never return
      }
    case "hangsAsync":
      return new Promise<never>(() => {});
    case "killed":
      process.kill(process.pid, "SIGKILL");
      return new Promise<never>(() => {});
    case "exhaustsMemory": {
      // 64 MiB at a time: past the child's RLIMIT_DATA the allocation fails (RangeError: Out of memory) within
      // milliseconds. (A heap of small objects dies instead, after seconds: ProcessPool's own tests cover that.)
      const hoard: Uint8Array[] = [];
      for (;;) hoard.push(new Uint8Array(64 << 20));
    }
    default:
      return compute();
  }
}
