/** What each part of the benchmark contributes to the report. */

import type { SensorRecord } from "@poolstream/core";
import type { WorkerPool } from "@poolstream/pool";
import type { KernelName } from "../ceiling-kernels.ts";
import type { Throughput } from "../measure.ts";

export interface BenchContext {
  readonly pool: WorkerPool;
  readonly workers: number;
  readonly records: readonly SensorRecord[];
  readonly samples: number;
  readonly maxInFlight: number;
  /** Two-worker ceiling per kernel, measured first. */
  readonly ceilings: ReadonlyMap<KernelName, Throughput>;
  readonly progress: (line: string) => void;
}

export interface SectionReport {
  readonly markdown: readonly string[];
  /** Rows of the targets table: `| target | measured | met/missed |`. */
  readonly targets: readonly string[];
  /** Bullets for "why targets are missed": the mechanism behind a missed target, with this run's figures. */
  readonly why?: readonly string[];
}

export function targetRow(target: string, measured: string, met: boolean): string {
  return `| ${target} | ${measured} | ${met ? "met" : "**missed**"} |`;
}
