/** Throughput measured with mitata: the median of several whole runs, as records per second. */
import { measure } from "mitata";

export interface Throughput {
  /** Records per second at the median run. */
  readonly recordsPerSec: number;
  readonly medianMs: number;
  readonly samples: number;
}

/**
 * Times whole passes over the records: at least `samples` of them and at least
 * one second in all (a fast scenario gets more passes, so its median is
 * steadier), after two warm-up passes.
 */
export async function measureThroughput(
  records: number,
  samples: number,
  run: () => Promise<unknown>,
): Promise<Throughput> {
  const stats = await measure(run, {
    min_samples: samples,
    max_samples: Math.max(samples, 60),
    min_cpu_time: 1e9,
    warmup_samples: 2,
  });
  const medianMs = stats.p50 / 1e6;
  return { recordsPerSec: records / (medianMs / 1000), medianMs, samples: stats.samples.length };
}

export function formatRate(recordsPerSec: number): string {
  if (recordsPerSec >= 1e6) return `${(recordsPerSec / 1e6).toFixed(2)} M/s`;
  if (recordsPerSec >= 1e3) return `${(recordsPerSec / 1e3).toFixed(1)} k/s`;
  return `${recordsPerSec.toFixed(0)} /s`;
}

export function ratio(value: number, reference: number): string {
  return reference > 0 ? `${(value / reference).toFixed(2)}×` : "n/a";
}

/** The middle value (the upper one of the two middles for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
}
