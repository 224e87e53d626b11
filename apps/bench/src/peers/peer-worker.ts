/**
 * The task every peer pool runs: one of the poolstream kernels on a batch of
 * record objects, chosen by name. Piscina and Tinypool call the default
 * export; Poolifier's worker wraps the same function.
 */
import { computeBatch, computeHeavyBatch, computeLightBatch } from "@poolstream/kernels";

export interface PeerTask {
  readonly kernel: "light" | "heavy" | "standard";
  readonly records: readonly import("@poolstream/core").SensorRecord[];
}

export default function runPeerTask(task: PeerTask): unknown {
  if (task.kernel === "light") return computeLightBatch(task.records);
  if (task.kernel === "heavy") return computeHeavyBatch(task.records);
  return computeBatch(task.records);
}
