/** A kernel for the redelivery measurement: it takes `ms` of CPU on the worker node, so a node holds its batches while it dies. */
import { defineKernel } from "@poolstream/core";

export const spinFor = defineKernel(import.meta.url, "spinFor", (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // CPU-bound on purpose
  }
  return ms;
});
