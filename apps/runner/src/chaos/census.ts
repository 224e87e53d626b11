/**
 * What a pool leaves behind, read from /proc (Linux): the threads of this
 * process and its live child processes. Read before a pool starts and after
 * it closed; the difference is what it leaked.
 */
import { readdirSync, readFileSync } from "node:fs";

/**
 * Threads of this process whose name starts with `prefix`. A pool's Worker
 * threads carry the pool's name (Linux keeps its first 15 bytes); Bun's own
 * threads (the JIT, the heap helpers, the signal sender) come and go by
 * themselves and are not counted.
 */
export function threadsNamed(prefix: string): number {
  let count = 0;
  for (const task of readdirSync("/proc/self/task")) {
    try {
      if (readFileSync(`/proc/self/task/${task}/comm`, "utf8").startsWith(prefix)) count++;
    } catch {
      // It ended while we looked.
    }
  }
  return count;
}

/** Live (not zombie) child processes of this process. */
export function childProcesses(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces, so read what follows its closing parenthesis.
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) === process.pid && state !== "Z") children.push(Number(entry));
    } catch {
      // It ended while we looked.
    }
  }
  return children;
}

/** Waits until `check` holds, polling every 20 ms, for at most `ms`; returns whether it held. */
export async function settlesWithin(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await Bun.sleep(20);
  }
  return true;
}
