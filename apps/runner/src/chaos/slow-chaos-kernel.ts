/**
 * The chaos suite's slow-to-load kernel: importing this module holds its
 * worker for 150 ms, as a kernel with a heavy dependency would. The task's
 * timeout must not count it (the start-up bound does).
 */
import { defineKernel } from "@poolstream/core";
import { type ChaosTask, computeTask } from "./chaos-kernels.ts";

const loadStart = performance.now();
while (performance.now() - loadStart < 150) {
  // a module that takes its time to load
}

export const slowChaosTask = defineKernel(import.meta.url, "slowChaosTask", (task: ChaosTask) => computeTask(task));
