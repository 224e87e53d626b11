/**
 * The one loop. A pipeline reads its input into lanes, cuts batches from them
 * at the sizer's size, keeps at most `executor.capacity` batches at the
 * executor (and as many computed and waiting to be written), resolves failed batches through its failure policy, and writes every
 * outcome to its sinks in order within a lane. Every capability of poolstream
 * is an argument of this loop (lanes, sizer, executor, transport, policy,
 * sinks), so they compose; none has a loop of its own.
 *
 * Invariants:
 * - a record the lanes accepted is counted exactly once: as a result, an
 *   error record, a poison pill or a dead letter (or, after a failure of the
 *   machinery, as unwritten or left in the lanes), by its position in its
 *   batch, so the count is by identity;
 * - a batch counts as done only once every sink has written it;
 * - stopping, from the moment it starts, takes at most `drainTimeoutMs`
 *   (then each sink gets as long again to close);
 * - with an urgent lane, batches holding other records occupy at most
 *   `laterSlots` of the executor's capacity; the rest is kept for urgent
 *   batches, which are sent as urgent and never wait for a batch to fill, so
 *   an urgent record waits for at most the batch its worker is running.
 */
import {
  AbortError,
  type BatchFailure,
  type BatchSizer,
  type BatchTiming,
  type Clock,
  type Executor,
  type FailurePolicy,
  type FailureResolution,
  failFast,
  fifoLane,
  fixedSize,
  InvalidArgumentError,
  type LaneCounts,
  type LaneSet,
  LatencyHistogram,
  PipelineFailedError,
  passRecordFailures,
  type RecordSchema,
  type RecoveryTools,
  type RunOptions,
  runBatch,
  type SensorRecord,
  type Sink,
  type SinkBatch,
  SinkError,
  SourceFailedError,
  type SourceReport,
  sensorSchema,
  systemClock,
  type TaskTiming,
  toError,
} from "@poolstream/core";
import { BatchSlots } from "./internal/batch-slots.ts";
import { outputsOf } from "./internal/failure-outputs.ts";
import { feed, isSource, type PipelineInput } from "./internal/feed.ts";
import { sampleLatency } from "./internal/latency-sampler.ts";
import { OrderedDelivery } from "./internal/ordered-delivery.ts";
import { countedBeforeSinks, type Part, sinkBatchOf } from "./internal/sink-batch.ts";
import { type PipelineEventMap, PipelineEvents, type PipelineEventType } from "./pipeline-events.ts";
import {
  checkOptions,
  type PipelineOptions,
  type PipelineSettings,
  type PipelineTransport,
} from "./pipeline-options.ts";
import type {
  Accounting,
  LaneSnapshot,
  PipelineReport,
  PipelineState,
  PipelineStats,
  SizeChange,
  StopReason,
} from "./pipeline-report.ts";

const SIZE_HISTORY_LIMIT = 1000;
/** The largest batch a sizer may ask for. */
const MAX_BATCH = 2 ** 31 - 1;

/** A batch between its cut and its last write. */
interface Cut<R> {
  readonly batchId: number;
  readonly records: readonly R[];
  readonly laneCounts: readonly number[];
  /** Place of each lane's part in that lane's order (-1 for a lane with no records here). */
  readonly laneSeqs: readonly number[];
  readonly urgent: boolean;
  readonly holdsLater: boolean;
  readonly ticket: unknown;
  readonly submittedMs: number;
  /** The executor returned it (a failed call does not count). */
  computed: boolean;
  /** Its records counted before the sinks: dead letters, and records a machinery failure left unresolved. */
  countedEarly: number;
  /** Filled in by an executor that measures a task's own cost; the sizer is fed it. */
  readonly timing: TaskTiming;
}

/**
 * Builds a pipeline; nothing runs until `run()`. The options are validated
 * here: a bad one throws `InvalidArgumentError` at once.
 */
export function pipeline<R = SensorRecord, Out = unknown>(options: PipelineOptions<R, Out>): Pipeline<R, Out> {
  return new Pipeline(options);
}

export class Pipeline<R, Out> implements AsyncDisposable {
  readonly #settings: PipelineSettings;
  readonly #options: PipelineOptions<R, Out>;
  readonly #executor: Executor;
  readonly #transport: PipelineTransport<R, Out>;
  readonly #lanes: LaneSet<R>;
  readonly #sizer: BatchSizer;
  readonly #policy: FailurePolicy;
  readonly #sinks: readonly Sink<R, Out>[];
  readonly #schema: RecordSchema<R>;
  readonly #clock: Clock;
  readonly #events = new PipelineEvents();
  readonly #slots: BatchSlots;
  /** An array input is cut by slicing (it is in memory already): no lane, no copy per record. */
  readonly #array: readonly R[] | undefined;
  #arrayOffset = 0;
  readonly #delivery: OrderedDelivery<Part<R>>;
  readonly #latency: LatencyHistogram[];
  readonly #delivered: number[];
  readonly #laterSlots: number;
  readonly #stop = new AbortController();
  /** Run options, made once rather than per batch. */
  readonly #urgentRun: RunOptions;
  readonly #normalRun: RunOptions;
  readonly #sizeHistory: SizeChange[] = [];
  #state: PipelineState = "ready";
  #running: Promise<PipelineReport> | undefined;
  #startMs = 0;
  #endMs: number | undefined;
  #stopReason: StopReason = "input ended";
  #fatal: { readonly error: Error } | undefined;
  /** The input broke: unlike a fatal failure, what it gave is still processed. */
  #inputFailure: Error | undefined;
  #sinksFailed = false;
  #gaveUp = false;
  #laterInFlight = 0;
  #urgentArrival: Promise<void> | undefined;
  /** Wakes the cutting loop from its one wait (for a slot, an urgent record, or the stop). */
  #wakeLoop: (() => void) | undefined;
  /** Stopping's deadline: it starts when stopping starts, and ends in giving up on what is still out. */
  #deadline: Promise<void> | undefined;
  #cancelDeadline: (() => void) | undefined;
  /** Records taken from the lanes for a batch that a failure then kept from being sent. */
  #takenNotSent = 0;
  #recordsInFlight = 0;
  /** Records of batches still out that were counted before the sinks (see `Cut.countedEarly`). */
  #countedEarlyInFlight = 0;
  #batchesCut = 0;
  #batchesCompleted = 0;
  #failedCalls = 0;
  #recoveries = 0;
  #results = 0;
  #errorRecords = 0;
  #poisonPills = 0;
  #deadLetters = 0;
  #unwritten = 0;

  constructor(options: PipelineOptions<R, Out>) {
    this.#settings = checkOptions(options);
    this.#options = options;
    this.#executor = options.executor;
    // A source that puts error records among its records (a line it could not parse) has them passed through.
    this.#transport = emitsFailures(options.source) ? passRecordFailures(options.transport) : options.transport;
    this.#lanes = options.lanes ?? fifoLane<R>({ capacity: 1000, ...(options.clock ? { clock: options.clock } : {}) });
    this.#sizer = options.sizer ?? fixedSize(100);
    this.#policy = options.failurePolicy ?? failFast();
    this.#sinks = [...(options.sinks ?? [])];
    this.#schema = options.schema ?? (sensorSchema as unknown as RecordSchema<R>);
    this.#clock = options.clock ?? systemClock;
    const capacity = this.#executor.capacity;
    this.#slots = new BatchSlots(capacity, () => this.#wake());
    // Only where a lane would add nothing: one FIFO lane, and the records all there already.
    this.#array =
      Array.isArray(options.source) && this.#lanes.names.length === 1 ? (options.source as readonly R[]) : undefined;
    const laneCount = this.#lanes.names.length;
    this.#latency = Array.from({ length: laneCount }, () => new LatencyHistogram());
    this.#delivered = new Array<number>(laneCount).fill(0);
    this.#laterSlots = Math.min(capacity, this.#settings.laterSlots ?? Math.ceil(capacity / 2));
    this.#delivery = new OrderedDelivery(laneCount, (part) => this.#write(part));
    this.#sizeHistory.push({ batch: 0, size: this.#sizer.size });
    // No abort signal per call: adding and removing its listener costs about 0.9 µs a batch, 2-3 % of a
    // light batch of 100; what stopping gives up on is left to finish, and its results are dropped.
    const timeout = this.#settings.taskTimeoutMs === undefined ? {} : { timeoutMs: this.#settings.taskTimeoutMs };
    this.#urgentRun = Object.freeze({ priority: "urgent", ...timeout });
    this.#normalRun = Object.freeze({ priority: "normal", ...timeout });
  }

  /** Listens to one kind of event; returns a function that stops listening. */
  on<K extends PipelineEventType>(
    type: K,
    listener: (event: { readonly type: K } & PipelineEventMap[K]) => void,
  ): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Runs until the input ends, `durationMs` passes or `signal` fires, then
   * drains: the input stops, the lanes close, the last batch is cut, batches
   * in flight finish (at most `drainTimeoutMs`), the sinks are closed. Resolves
   * with the report. Rejects with `PipelineFailedError` (its `report` says what
   * was and was not written) when fail fast saw a batch fail, or a sink, the
   * dead-letter log or the input broke. A pipeline runs once.
   */
  run(signal?: AbortSignal): Promise<PipelineReport> {
    if (this.#running !== undefined) return Promise.reject(new InvalidArgumentError("a pipeline runs once"));
    this.#running = this.#run(signal);
    return this.#running;
  }

  /** Stops the input and waits until the pipeline has drained. Idempotent; harmless before `run`. */
  async close(): Promise<void> {
    this.#stopInput("aborted");
    if (this.#running === undefined) {
      this.#startMs = this.#clock.now();
      this.#endMs = this.#startMs;
      this.#state = "stopped";
      this.#lanes.close();
      return;
    }
    await this.#running.catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A frozen snapshot, cheap enough to take a few times a second. */
  stats(): PipelineStats {
    const elapsedMs = (this.#endMs ?? this.#clock.now()) - this.#startMs;
    const laneStats = this.#lanes.stats();
    const lanes: LaneSnapshot[] = laneStats.map((lane, i) =>
      Object.freeze({
        name: lane.name,
        depth: lane.size,
        capacity: lane.capacity,
        delivered: this.#delivered[i] as number,
        latencyMs: (this.#latency[i] as LatencyHistogram).summary(),
      }),
    );
    const delivered = this.#results + this.#errorRecords + this.#poisonPills;
    return Object.freeze({
      state: this.#state,
      elapsedMs: this.#state === "ready" ? 0 : elapsedMs,
      lanes: Object.freeze(lanes),
      inFlight: this.#slots.size,
      batchSize: this.#sizer.size,
      throughputPerSec: elapsedMs > 0 && this.#state !== "ready" ? (delivered / elapsedMs) * 1000 : 0,
      counters: Object.freeze({
        batchesCut: this.#batchesCut,
        batchesCompleted: this.#batchesCompleted,
        failedCalls: this.#failedCalls,
        recoveries: this.#recoveries,
      }),
      accounting: this.#accounting(),
    });
  }

  async #run(signal: AbortSignal | undefined): Promise<PipelineReport> {
    this.#state = "running";
    this.#startMs = this.#clock.now();
    this.#sizer.start?.({ capacity: this.#executor.capacity });
    const onAbort = () => this.#stopInput("aborted");
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const { durationMs } = this.#settings;
    const cancelDuration =
      durationMs === undefined
        ? undefined
        : this.#clock.setTimer(durationMs, () => this.#stopInput("duration elapsed"));
    let source: SourceReport | undefined;
    // An array is cut by slicing (see #takeNow): nothing to feed into the lanes.
    const input = this.#array === undefined ? feed(this.#options.source, this.#lanes, this.#stop.signal) : undefined;
    const feeding = (input ?? Promise.resolve(undefined))
      .then(
        (report) => {
          source = report;
        },
        (error: unknown) => {
          const cause = toError(error);
          this.#inputFailure = new SourceFailedError(`the input failed: ${cause.message}`, { cause });
          this.#stopInput("failed");
        },
      )
      .finally(() => this.#lanes.close());
    try {
      await this.#cutBatches();
      this.#state = "draining";
      const deadline = this.#startDeadline();
      await Promise.race([feeding, deadline]);
      await Promise.race([this.#slots.idle(), deadline]);
      await this.#closeSinks();
    } finally {
      cancelDuration?.();
      this.#cancelDeadline?.();
      signal?.removeEventListener("abort", onAbort);
      this.#endMs = this.#clock.now();
    }
    if (this.#array !== undefined) source = arrayReport(this.#arrayOffset); // what was cut, once cutting is over
    const failure = this.#fatal?.error ?? this.#inputFailure;
    this.#state = failure === undefined ? "stopped" : "failed";
    const report: PipelineReport = Object.freeze({
      ...this.stats(),
      stopReason: failure === undefined ? this.#stopReason : "failed",
      source,
      sizeHistory: Object.freeze([...this.#sizeHistory]),
      drained: !this.#gaveUp,
    });
    if (failure !== undefined) {
      const error = failure;
      throw new PipelineFailedError(`pipeline stopped: ${error.name}: ${error.message}`, report, { cause: error });
    }
    return report;
  }

  /** Cuts and submits batches until the input has ended, a failure halts the pipeline, or stopping gives up. */
  async #cutBatches(): Promise<void> {
    const lanes = this.#lanes;
    const counts: LaneCounts = [];
    for (;;) {
      // Ended input first: the batches still out are the drain's to wait for, within its deadline.
      if (this.#fatal !== undefined || this.#gaveUp || this.#inputDone()) return;
      if (!this.#slots.hasRoom) {
        await this.#sleep();
        continue;
      }
      const size = this.#sizer.size;
      if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH) {
        this.#halt(new InvalidArgumentError(`the sizer "${this.#sizer.name}" asked for batches of ${size}`));
        return;
      }
      if (!lanes.firstLaneUrgent || this.#laterInFlight < this.#laterSlots) {
        // What is there now first, without a wait; fill (and wait) only for what is missing.
        const batch = this.#takeNow(size, counts) ?? (await this.#fill(size, counts));
        if (batch.length === 0) continue;
        if (this.#fatal !== undefined || this.#gaveUp) {
          this.#takenNotSent += batch.length; // a failure came while the batch filled: it is not sent
          return;
        }
        this.#submit(batch, counts);
        continue;
      }
      // Every slot for other lanes is taken: only a batch of urgent records may go now.
      if (lanes.depth(0) > 0) {
        this.#submit(lanes.take(size, counts, 0), counts);
        continue;
      }
      if (lanes.closed && lanes.size === 0) return;
      // One watch for the next urgent arrival at a time: it wakes the loop once, and holds nothing after.
      if (!lanes.closed) {
        this.#urgentArrival ??= lanes.waitForUrgent().then(() => {
          this.#urgentArrival = undefined;
          this.#wake();
        });
      }
      await this.#sleep();
    }
  }

  /** Waits until `#wake`: a slot freed up, an urgent record arrived, or stopping began or gave up. */
  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeLoop = resolve;
    });
  }

  #wake(): void {
    const wake = this.#wakeLoop;
    if (wake === undefined) return;
    this.#wakeLoop = undefined;
    wake();
  }

  /** True once no record can come any more: the lanes are closed and empty, and so is the array. */
  #inputDone(): boolean {
    if (this.#array !== undefined) return this.#arrayOffset >= this.#array.length || this.#stop.signal.aborted;
    return this.#lanes.closed && this.#lanes.size === 0;
  }

  /**
   * A batch that can be cut without waiting: a slice of the array input, a
   * full batch from the lanes, or one holding an urgent record. Undefined
   * when the batch would have to wait to fill.
   */
  #takeNow(size: number, counts: LaneCounts): R[] | undefined {
    const array = this.#array;
    if (array !== undefined) {
      const start = this.#arrayOffset;
      if (this.#stop.signal.aborted || start >= array.length) return undefined;
      const batch = array.slice(start, start + size);
      this.#arrayOffset = start + batch.length;
      counts.length = 1;
      counts[0] = batch.length;
      return batch;
    }
    const lanes = this.#lanes;
    if (lanes.size >= size || (lanes.firstLaneUrgent && lanes.depth(0) > 0)) return lanes.take(size, counts);
    return undefined;
  }

  /**
   * A batch of up to `size` records, most urgent lane first: what is waiting,
   * then, while it is not full, whatever arrives before `maxWaitMs` of quiet.
   * A batch holding an urgent record is cut at once. Empty only at the end.
   */
  async #fill(size: number, counts: LaneCounts): Promise<R[]> {
    const lanes = this.#lanes;
    while (lanes.size === 0) {
      if (lanes.closed || this.#fatal !== undefined) return [];
      await lanes.waitForRecords();
    }
    const batch = lanes.take(size, counts);
    if (batch.length === size || (lanes.firstLaneUrgent && (counts[0] as number) > 0)) return batch;
    // Filling: keep the records grouped by lane, most urgent first, as `take` returns them.
    const byLane: R[][] = lanes.names.map(() => []);
    spreadByLane(batch, counts, byLane);
    let total = batch.length;
    const more: LaneCounts = [];
    while (total < size && !lanes.closed && this.#fatal === undefined) {
      if (!(await lanes.waitForRecords(this.#settings.maxWaitMs))) break; // quiet for maxWaitMs: cut what there is
      const arrived = lanes.take(size - total, more);
      spreadByLane(arrived, more, byLane);
      total += arrived.length;
      if (lanes.firstLaneUrgent && (more[0] as number) > 0) break;
    }
    byLane.forEach((records, lane) => {
      counts[lane] = records.length;
    });
    return byLane.length === 1 ? (byLane[0] as R[]) : byLane.flat();
  }

  #submit(records: R[], counts: LaneCounts): void {
    const batchId = this.#batchesCut++;
    const laneCounts = counts.slice();
    const laneSeqs =
      laneCounts.length === 1
        ? [this.#delivery.reserve(0)]
        : laneCounts.map((count, lane) => (count > 0 ? this.#delivery.reserve(lane) : -1));
    const urgent = this.#lanes.firstLaneUrgent && (laneCounts[0] as number) > 0;
    const holdsLater = !this.#lanes.firstLaneUrgent || records.length > (laneCounts[0] as number);
    let ticket: unknown;
    try {
      ticket = this.#sizer.cut(records.length);
    } catch (error) {
      ticket = undefined;
      this.#sizerFailed(error);
    }
    if (this.#events.wants("batch-cut")) this.#events.emit("batch-cut", { batchId, size: records.length, laneCounts });
    if (holdsLater) this.#laterInFlight++;
    this.#recordsInFlight += records.length;
    this.#slots.take();
    const submittedMs = this.#clock.now();
    const cut: Cut<R> = {
      batchId,
      records,
      laneCounts,
      laneSeqs,
      urgent,
      holdsLater,
      ticket,
      submittedMs,
      computed: false,
      countedEarly: 0,
      timing: {},
    };
    if (this.#events.wants("batch-submitted")) {
      this.#events.emit("batch-submitted", { batchId, size: records.length, urgent });
    }
    this.#call(records, this.#executor, urgent, cut.timing).then(
      (outputs) => this.#completed(cut, outputs),
      (error: unknown) => this.#failed(cut, toError(error)),
    );
  }

  /** The batch's call returned: one output per record. */
  #completed(cut: Cut<R>, outputs: ArrayLike<unknown>): void {
    // The sizer hears of it at once, so the next batch is cut at the size it decides.
    const latencyMs = this.#clock.now() - cut.submittedMs;
    const { costMs } = cut.timing;
    const timing: BatchTiming =
      costMs === undefined
        ? { latencyMs, durationMs: latencyMs, measure: "submit-to-result" }
        : { latencyMs, durationMs: costMs, measure: "own-cost" };
    const from = this.#sizer.size;
    try {
      this.#sizer.completed(cut.ticket, timing);
    } catch (error) {
      this.#sizerFailed(error);
    }
    if (this.#sizer.size !== from) this.#sizeChanged(cut.batchId, from);
    this.#batchesCompleted++;
    if (this.#events.wants("batch-completed")) {
      this.#events.emit("batch-completed", {
        batchId: cut.batchId,
        size: cut.records.length,
        durationMs: latencyMs,
        costMs,
      });
    }
    // The executor is free for the next batch: let the loop send it before this one is written,
    // so a worker does not wait for the main thread's bookkeeping.
    cut.computed = true;
    this.#slots.computed();
    queueMicrotask(() => this.#offer(cut, outputs));
  }

  /** The batch's call failed as a whole: the failure policy turns it into outputs, or the machinery failed. */
  #failed(cut: Cut<R>, error: Error): void {
    if (this.#gaveUp) {
      // Stopping gave up on it: it is counted as not written, and no policy may act on it now.
      this.#offer(cut, { length: 0 }, true);
      return;
    }
    this.#resolveFailure(cut, error).then(
      (outputs) => this.#offer(cut, outputs),
      (machinery: unknown) => {
        this.#halt(toError(machinery));
        if (!this.#gaveUp) this.#unwritten += cut.records.length - cut.countedEarly;
        this.#offer(cut, { length: 0 }, true);
      },
    );
  }

  /** A batch is done with: its slot frees up. */
  #finish(cut: Cut<R>): void {
    if (cut.holdsLater) this.#laterInFlight--;
    this.#recordsInFlight -= cut.records.length;
    this.#countedEarlyInFlight -= cut.countedEarly;
    this.#slots.release(cut.computed);
  }

  /** One call through the transport; an output count that does not match the batch is the call's failure. */
  #call(records: readonly R[], executor: Executor, urgent: boolean, timing?: TaskTiming): Promise<ArrayLike<unknown>> {
    const shared = urgent ? this.#urgentRun : this.#normalRun;
    const options = timing === undefined ? shared : { ...shared, timing };
    return runBatch(executor, this.#transport, records, options).then((outputs) => {
      if (outputs === null || typeof outputs !== "object" || outputs.length !== records.length) {
        const got = outputs !== null && typeof outputs === "object" ? outputs.length : "no";
        throw new InvalidArgumentError(`the kernel returned ${got} outputs for ${records.length} records`);
      }
      return outputs;
    });
  }

  /** Turns a failed batch into one output per record (results, error records, dead-letter marks). */
  async #resolveFailure(cut: Cut<R>, error: Error): Promise<ArrayLike<unknown>> {
    const { batchId, records } = cut;
    this.#failedCalls++;
    const failure: BatchFailure<R> = { batchId, records, error, attempts: 1 };
    const tools: RecoveryTools<R> = {
      retry: (part, executor) =>
        this.#call(part, executor, cut.urgent).catch((retryError: unknown) => {
          this.#failedCalls++;
          throw retryError;
        }),
      notify: (failed, next) => this.#notify(failed, next),
    };
    const resolution: FailureResolution<R> = await this.#policy.resolve(failure, tools);
    const outputs = outputsOf(resolution, records.length, this.#policy.name, (part) => {
      if (this.#gaveUp) return; // counted as unwritten when stopping gave up on it
      if (part.kind === "computed") {
        this.#recoveries++;
        if (this.#events.wants("batch-recovered")) {
          this.#events.emit("batch-recovered", { batchId, size: part.records.length, attempts: part.attempts });
        }
      } else if (part.kind === "dead-lettered") {
        this.#deadLetters += part.records.length;
        this.#countedEarlyInFlight += part.records.length;
        cut.countedEarly += part.records.length;
        if (this.#events.wants("dead-lettered")) {
          const { attempts, error: cause } = part;
          this.#events.emit("dead-lettered", { batchId, size: part.records.length, attempts, error: cause });
        }
      } else if (part.kind === "unresolved") {
        this.#unwritten += part.records.length;
        this.#countedEarlyInFlight += part.records.length;
        cut.countedEarly += part.records.length;
      }
    });
    if (resolution.stop !== undefined) this.#halt(resolution.stop);
    return outputs;
  }

  #notify(failure: BatchFailure<R>, next: PipelineEventMap["batch-failed"]["next"]): void {
    if (!this.#events.wants("batch-failed")) return;
    const { batchId, records, attempts, error } = failure;
    this.#events.emit("batch-failed", { batchId, size: records.length, attempts, error, next });
  }

  /**
   * Offers each lane's part of the batch to the ordered delivery; once all
   * are written the batch is finished. `empty`: its records were given up on,
   * but its places in the lanes' order must still be filled.
   */
  #offer(cut: Cut<R>, outputs: ArrayLike<unknown>, empty = false): void {
    if (cut.laneCounts.length === 1) {
      // One lane: one part, the whole batch.
      const end = empty ? 0 : cut.records.length;
      const part: Part<R> = { batchId: cut.batchId, lane: 0, records: cut.records, outputs, start: 0, end };
      this.#delivery.offer(0, cut.laneSeqs[0] as number, part, () => this.#finish(cut));
      return;
    }
    // A batch holds at least one record, so at least one lane has a part.
    let pending = 0;
    for (const count of cut.laneCounts) if (count > 0) pending++;
    const written = () => {
      if (--pending === 0) this.#finish(cut);
    };
    let start = 0;
    cut.laneCounts.forEach((count, lane) => {
      if (count === 0) return;
      const end = empty ? start : start + count;
      const part: Part<R> = { batchId: cut.batchId, lane, records: cut.records, outputs, start, end };
      this.#delivery.offer(lane, cut.laneSeqs[lane] as number, part, written);
      start += empty ? 0 : count;
    });
  }

  /** Writes one lane's part to every sink and counts its records. Never throws or rejects. */
  #write(part: Part<R>): void | Promise<void> {
    const count = part.end - part.start;
    if (count === 0) return;
    if (this.#gaveUp) return; // counted as unwritten when stopping gave up on it
    if (this.#sinksFailed) {
      this.#unwritten += count - countedBeforeSinks(part);
      return;
    }
    const batch = sinkBatchOf<R, Out>(part, this.#lanes.names[part.lane] as string);
    // Sinks hear of dead letters too (they acknowledge input); latency is of what reached them as an outcome.
    if (batch.records.length + batch.failures.length > 0) this.#sampleLatency(part, batch);
    return this.#writeToSinks(part, batch, 0);
  }

  /** Sinks from `from` on, in order; synchronous as long as they answer synchronously. */
  #writeToSinks(part: Part<R>, batch: SinkBatch<R, Out>, from: number): void | Promise<void> {
    for (let i = from; i < this.#sinks.length; i++) {
      if (this.#gaveUp) return; // the sinks are being closed: what is left of this write is counted as unwritten
      let pending: void | Promise<void>;
      try {
        pending = (this.#sinks[i] as Sink<R, Out>).write(batch);
      } catch (error) {
        this.#sinkFailed(part, error);
        return;
      }
      if (pending !== undefined && typeof (pending as Promise<void>).then === "function") {
        return (pending as Promise<void>).then(
          () => this.#writeToSinks(part, batch, i + 1),
          (error: unknown) => this.#sinkFailed(part, error),
        );
      }
    }
    this.#counted(part.lane, batch);
  }

  #counted(lane: number, batch: SinkBatch<R, Out>): void {
    if (this.#gaveUp) return;
    let poison = 0;
    for (const failure of batch.failures) if (failure.status === "POISON_PILL") poison++;
    this.#poisonPills += poison;
    this.#errorRecords += batch.failures.length - poison;
    this.#results += batch.records.length;
    this.#delivered[lane] = (this.#delivered[lane] as number) + batch.records.length + batch.failures.length;
  }

  #sinkFailed(part: Part<R>, error: unknown): void {
    this.#sinksFailed = true;
    const cause = toError(error);
    this.#halt(new SinkError(`a sink failed to write: ${cause.message}`, { cause }));
    this.#unwritten += part.end - part.start - countedBeforeSinks(part);
  }

  #sampleLatency(part: Part<R>, batch: SinkBatch<R, Out>): void {
    const delivered = batch.records.length + batch.failures.length;
    const histogram = this.#latency[part.lane] as LatencyHistogram;
    const oldest = sampleLatency(
      part,
      delivered,
      this.#schema,
      this.#clock.now(),
      this.#settings.latencySamples,
      histogram,
    );
    if (this.#events.wants("lane-latency")) {
      const lane = this.#lanes.names[part.lane] as string;
      this.#events.emit("lane-latency", { batchId: part.batchId, lane, records: delivered, latencyMs: oldest });
    }
  }

  /** A sizer that throws is a failure of the machinery, reported as the sizer's. */
  #sizerFailed(error: unknown): void {
    this.#halt(new InvalidArgumentError(`the sizer "${this.#sizer.name}" failed: ${toError(error).message}`));
  }

  #sizeChanged(batchId: number, from: number): void {
    const to = this.#sizer.size;
    if (this.#sizeHistory.length >= SIZE_HISTORY_LIMIT) this.#sizeHistory.splice(1, 1);
    this.#sizeHistory.push({ batch: this.#batchesCut, size: to });
    if (this.#events.wants("size-changed")) this.#events.emit("size-changed", { batchId, from, to });
  }

  /**
   * Starts stopping's deadline (once): when it passes, what is still out is
   * given up on. Resolves then; cancelled when the run ends first.
   */
  #startDeadline(): Promise<void> {
    this.#deadline ??= new Promise<void>((resolve) => {
      this.#cancelDeadline = this.#clock.setTimer(this.#settings.drainTimeoutMs, () => {
        this.#giveUp();
        resolve();
      });
    });
    return this.#deadline;
  }

  /** Stopping took too long: count what is still out as not written, and drop it when it comes back. */
  #giveUp(): void {
    if (this.#gaveUp) return;
    this.#gaveUp = true;
    this.#unwritten += this.#recordsInFlight - this.#countedEarlyInFlight; // those are counted already
    this.#lanes.close();
    this.#wake();
  }

  /** Closes every sink, each within `drainTimeoutMs` of its own (the drain's may be spent already). */
  async #closeSinks(): Promise<void> {
    const ms = this.#settings.drainTimeoutMs;
    for (const sink of this.#sinks) {
      let pending: void | Promise<void>;
      try {
        pending = sink.close();
      } catch (error) {
        this.#sinkCloseFailed(error);
        continue;
      }
      if (pending === undefined || typeof (pending as Promise<void>).then !== "function") continue;
      let cancel: (() => void) | undefined;
      const late = new Promise<"late">((resolve) => {
        cancel = this.#clock.setTimer(ms, () => resolve("late"));
      });
      const outcome = await Promise.race([
        (pending as Promise<void>).then(
          () => "closed" as const,
          (error: unknown) => {
            this.#sinkCloseFailed(error);
            return "failed" as const;
          },
        ),
        late,
      ]);
      cancel?.();
      if (outcome === "late") this.#halt(new SinkError(`a sink did not close within drainTimeoutMs (${ms} ms)`));
    }
  }

  #sinkCloseFailed(error: unknown): void {
    const cause = toError(error);
    this.#halt(new SinkError(`a sink failed to close: ${cause.message}`, { cause }));
  }

  #stopInput(reason: StopReason): void {
    if (this.#stop.signal.aborted) return;
    this.#stopReason = reason;
    this.#stop.abort(new AbortError(reason));
    if (this.#state === "running" || this.#state === "draining") this.#startDeadline();
    this.#wake();
  }

  /** A failure of the machinery, or fail fast: no new batch starts; the ones under way finish. */
  #halt(error: Error): void {
    this.#fatal ??= { error };
    this.#stopInput("failed");
    this.#lanes.close();
  }

  #accounting(): Accounting {
    const entered = this.#lanes.accepted + this.#arrayOffset;
    const leftInLanes = this.#fatal === undefined && !this.#gaveUp ? 0 : this.#lanes.size + this.#takenNotSent;
    const accounted =
      this.#results + this.#errorRecords + this.#poisonPills + this.#deadLetters + this.#unwritten + leftInLanes;
    return Object.freeze({
      entered,
      results: this.#results,
      errorRecords: this.#errorRecords,
      poisonPills: this.#poisonPills,
      deadLetters: this.#deadLetters,
      unwritten: this.#unwritten,
      leftInLanes,
      holds: accounted === entered,
    });
  }
}

function arrayReport(total: number): SourceReport {
  return Object.freeze({ perSource: Object.freeze({ input: total }), total, errors: Object.freeze([]) });
}

/** Appends `records` (grouped by lane as `counts` says) to each lane's list. */
function spreadByLane<R>(records: readonly R[], counts: LaneCounts, byLane: R[][]): void {
  let at = 0;
  counts.forEach((count, lane) => {
    for (let i = 0; i < count; i++) (byLane[lane] as R[]).push(records[at + i] as R);
    at += count;
  });
}

function emitsFailures<R>(input: PipelineInput<R>): boolean {
  return isSource(input) && input.emitsFailures === true;
}
