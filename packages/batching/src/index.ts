/** @poolstream/batching: cutting streams into batches, and choosing their size. */
export { BatchAssembler, type BatchAssemblerStats, type BatchSourceQueue } from "./batch-assembler.ts";
