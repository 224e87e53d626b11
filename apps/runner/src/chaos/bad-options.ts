/**
 * The bad-option catalogue: every size, capacity, count and duration of the
 * public constructors, given 0, −1, NaN, ∞, 2³¹ and 1e6. Each value must be
 * refused with an `InvalidArgumentError` that names the option, or accepted
 * because it is inside the option's documented range; never a raw
 * `RangeError`, a crash, a hang, or a value accepted outside its range.
 */
import { AdaptiveSizer } from "@poolstream/batching";
import {
  BoundedQueue,
  fifoLane,
  fixedSize,
  InProcessExecutor,
  InvalidArgumentError,
  MAX_DURATION_MS,
  objectTransport,
  SensorInterner,
} from "@poolstream/core";
import {
  computeFaultTolerantBatch,
  DeadLetterLog,
  recoverThenDeadLetter,
  withSimulatedCrashes,
} from "@poolstream/faults";
import { simulatedSensors } from "@poolstream/ingest";
import { pipeline } from "@poolstream/pipeline";
import { WorkerPool } from "@poolstream/pool";
import { priorityLanes } from "@poolstream/priority";
import { ProcessPool } from "@poolstream/process";

export const BAD_VALUES: readonly number[] = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 1e6];

interface OptionCase {
  readonly target: string;
  readonly option: string;
  /** What the message must name. */
  readonly named?: string;
  /** The documented range. */
  readonly accepts: (value: number) => boolean;
  /** Builds with the value (and releases what it built); throws, or rejects, what the constructor does. */
  readonly attempt: (value: number) => unknown;
}

const duration = (v: number) => v > 0 && v <= MAX_DURATION_MS;
const integerIn = (min: number, max: number) => (v: number) => Number.isInteger(v) && v >= min && v <= max;
const MAX_INT = 2 ** 31 - 1;

async function closing(pool: { close(): Promise<void> }): Promise<void> {
  await pool.close();
}

const inProcess = new InProcessExecutor();
const pipelineWith = (extra: Record<string, number>) =>
  pipeline({ source: [], executor: inProcess, transport: objectTransport(computeFaultTolerantBatch), ...extra });

export const optionCatalogue: readonly OptionCase[] = [
  {
    target: "WorkerPool",
    option: "size",
    accepts: integerIn(1, 1024),
    attempt: (size) => closing(new WorkerPool({ size })),
  },
  {
    target: "WorkerPool",
    option: "pipelineDepth",
    accepts: integerIn(1, 1024),
    attempt: (pipelineDepth) => closing(new WorkerPool({ size: 1, pipelineDepth })),
  },
  ...(["taskTimeoutMs", "closeTimeoutMs", "startupTimeoutMs", "moveAfterMs"] as const).map(
    (option): OptionCase => ({
      target: "WorkerPool",
      option,
      accepts: duration,
      attempt: (value) => closing(new WorkerPool({ size: 1, [option]: value })),
    }),
  ),
  {
    target: "WorkerPool.run",
    option: "timeoutMs",
    accepts: duration,
    attempt: async (timeoutMs) => {
      await using pool = new WorkerPool({ size: 1 });
      await pool.run(computeFaultTolerantBatch, [], { timeoutMs });
    },
  },
  {
    target: "ProcessPool",
    option: "size",
    accepts: integerIn(1, 1024),
    attempt: (size) => closing(new ProcessPool({ size })),
  },
  {
    target: "ProcessPool",
    option: "memoryLimitMb",
    accepts: integerIn(512, 1024 * 1024),
    attempt: (memoryLimitMb) => closing(new ProcessPool({ size: 1, memoryLimitMb })),
  },
  {
    target: "InProcessExecutor",
    option: "capacity",
    accepts: integerIn(1, MAX_INT),
    attempt: (capacity) => new InProcessExecutor({ capacity }),
  },
  {
    target: "BoundedQueue",
    option: "capacity",
    accepts: (v) => Number.isInteger(v) && v >= 1,
    attempt: (capacity) => new BoundedQueue({ capacity }),
  },
  {
    target: "BoundedQueue.get",
    option: "timeoutMs",
    // 0 means "do not wait", ∞ "wait for ever" (documented); a value past 2^31 - 1 waits in steps.
    accepts: (v) => v >= 0,
    attempt: async (timeoutMs) => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      queue.tryPut(1);
      await queue.get({ timeoutMs });
    },
  },
  {
    target: "fifoLane",
    option: "capacity",
    accepts: (v) => Number.isInteger(v) && v >= 1,
    attempt: (capacity) => fifoLane({ capacity }),
  },
  {
    target: "priorityLanes",
    option: "capacity",
    accepts: (v) => Number.isInteger(v) && v >= 1,
    attempt: (capacity) => priorityLanes({ capacity }),
  },
  {
    target: "fixedSize",
    option: "size",
    named: "batch size",
    accepts: integerIn(1, MAX_INT),
    attempt: (size) => fixedSize(size),
  },
  ...(["minBatchSize", "initialBatchSize", "reevaluateEvery", "historyLimit"] as const).map(
    (option): OptionCase => ({
      target: "AdaptiveSizer",
      option,
      accepts: integerIn(1, MAX_INT),
      attempt: (value) => new AdaptiveSizer({ minBatchSize: 1, maxBatchSize: MAX_INT, [option]: value }),
    }),
  ),
  {
    target: "AdaptiveSizer",
    option: "maxBatchSize",
    accepts: integerIn(5, MAX_INT),
    attempt: (maxBatchSize) => new AdaptiveSizer({ maxBatchSize }),
  },
  {
    target: "AdaptiveSizer",
    option: "targetBatchLatencyMs",
    accepts: duration,
    attempt: (targetBatchLatencyMs) => new AdaptiveSizer({ targetBatchLatencyMs }),
  },
  ...(["maxWaitMs", "durationMs", "taskTimeoutMs", "drainTimeoutMs"] as const).map(
    (option): OptionCase => ({
      target: "pipeline",
      option,
      accepts: duration,
      attempt: (value) => pipelineWith({ [option]: value }),
    }),
  ),
  {
    target: "pipeline",
    option: "laterSlots",
    accepts: integerIn(1, MAX_INT),
    attempt: (laterSlots) => pipelineWith({ laterSlots }),
  },
  {
    target: "pipeline",
    option: "latencySamples",
    accepts: integerIn(1, MAX_INT),
    attempt: (latencySamples) => pipelineWith({ latencySamples }),
  },
  {
    target: "recoverThenDeadLetter",
    option: "maxAttempts",
    accepts: integerIn(1, 1000),
    attempt: (maxAttempts) => {
      using deadLetterLog = new DeadLetterLog();
      return recoverThenDeadLetter({ recoveryExecutor: inProcess, deadLetterLog, maxAttempts });
    },
  },
  ...(["retryTimeoutMs", "leaseMs"] as const).map(
    (option): OptionCase => ({
      target: "DeadLetterLog.replay",
      option,
      // leaseMs must also exceed retryTimeoutMs (30 s by default); its own default follows retryTimeoutMs.
      accepts: (v) => duration(v) && (option === "retryTimeoutMs" || v > 30_000),
      attempt: async (value) => {
        using log = new DeadLetterLog();
        await log.replay(() => 1, { [option]: value });
      },
    }),
  ),
  {
    target: "simulatedSensors",
    option: "count",
    accepts: integerIn(1, 1_000_000),
    attempt: (count) => simulatedSensors({ count }),
  },
  {
    target: "simulatedSensors",
    option: "intervalMs",
    accepts: (v) => v >= 0 && v <= MAX_INT,
    attempt: (intervalMs) => simulatedSensors({ count: 1, intervalMs }),
  },
  {
    target: "SensorInterner",
    option: "capacity",
    accepts: integerIn(1, MAX_INT),
    attempt: (capacity) => new SensorInterner({ capacity }),
  },
  {
    target: "withSimulatedCrashes",
    option: "probability",
    accepts: (v) => v >= 0 && v <= 1,
    attempt: (probability) => withSimulatedCrashes(inProcess, { probability }),
  },
];

export interface OptionVerdict {
  readonly target: string;
  readonly option: string;
  readonly value: number;
  readonly outcome: "refused" | "accepted";
  /** Empty when the outcome is right; else what was wrong. */
  readonly problem: string;
}

/** Tries every option of the catalogue with every bad value. */
export async function runBadOptions(): Promise<readonly OptionVerdict[]> {
  const verdicts: OptionVerdict[] = [];
  for (const entry of optionCatalogue) {
    for (const value of BAD_VALUES) {
      let error: unknown;
      try {
        await entry.attempt(value);
      } catch (caught) {
        error = caught;
      }
      const inRange = entry.accepts(value);
      const named = entry.named ?? entry.option;
      let problem = "";
      if (error === undefined && !inRange) problem = "accepted outside its documented range";
      else if (error !== undefined && inRange) problem = `refused inside its documented range: ${String(error)}`;
      else if (error !== undefined && !(error instanceof InvalidArgumentError))
        problem = `refused with ${String(error)}`;
      else if (error !== undefined && !(error as Error).message.includes(named)) {
        problem = `the message does not name ${named}: ${(error as Error).message}`;
      }
      verdicts.push({
        target: entry.target,
        option: entry.option,
        value,
        outcome: error === undefined ? "accepted" : "refused",
        problem,
      });
    }
  }
  return verdicts;
}
