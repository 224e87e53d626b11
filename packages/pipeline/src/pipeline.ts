/**
 * The one loop. A pipeline reads its input into lanes, cuts batches from them
 * at the sizer's size, keeps at most `executor.capacity` batches in flight,
 * resolves failed batches through its failure policy, and writes every
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
 * - with an urgent lane, batches holding other records occupy at most
 *   `laterSlots` of the executor's capacity; the rest is kept for urgent
 *   batches, which are sent as urgent and never wait for a batch to fill, so
 *   an urgent record waits for at most the batch its worker is running.
 */
import {
  AbortError,
  type BatchFailure,
  type BatchSizer,
  type Clock,
  type Executor,
  errorRecordOf,
  type FailurePolicy,
  type FailureResolution,
  failFast,
  fifoLane,
  fixedSize,
  InFlightWindow,
  InvalidArgumentError,
  isRecordFailure,
  type LaneCounts,
  type LaneSet,
  LatencyHistogram,
  PipelineFailedError,
  type RecordFailure,
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
  toError,
} from "@poolstream/core";
import { feed } from "./internal/feed.ts";
import { OrderedDelivery } from "./internal/ordered-delivery.ts";
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

/** Stands in a batch's outputs for a record that went to the dead-letter log. */
const DEAD_LETTERED: unique symbol = Symbol("dead-lettered");
const SIZE_HISTORY_LIMIT = 1000;

/** One lane's part of a completed batch, waiting for its turn at the sinks. */
interface Part<R> {
  readonly batchId: number;
  readonly lane: number;
  readonly records: readonly R[];
  readonly outputs: ArrayLike<unknown>;
  readonly start: number;
  readonly end: number;
}

/** A batch between its cut and its last write. */
interface Cut<R> {
  readonly batchId: number;
  readonly records: readonly R[];
  readonly laneCounts: readonly number[];
  /** Place of each lane's part in that lane's order (-1 for a lane with no records here). */
  readonly laneSeqs: readonly number[];
  readonly urgent: boolean;
  readonly ticket: unknown;
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
  readonly #window: InFlightWindow;
  readonly #delivery: OrderedDelivery<Part<R>>;
  readonly #latency: LatencyHistogram[];
  readonly #delivered: number[];
  readonly #laterSlots: number;
  readonly #stop = new AbortController();
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
  #recordsInFlight = 0;
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
    this.#transport = options.transport;
    this.#lanes = options.lanes ?? fifoLane<R>({ capacity: 1000, ...(options.clock ? { clock: options.clock } : {}) });
    this.#sizer = options.sizer ?? fixedSize(100);
    this.#policy = options.failurePolicy ?? failFast();
    this.#sinks = [...(options.sinks ?? [])];
    this.#schema = options.schema ?? (sensorSchema as unknown as RecordSchema<R>);
    this.#clock = options.clock ?? systemClock;
    const capacity = this.#executor.capacity;
    this.#window = new InFlightWindow(capacity);
    const laneCount = this.#lanes.names.length;
    this.#latency = Array.from({ length: laneCount }, () => new LatencyHistogram());
    this.#delivered = new Array<number>(laneCount).fill(0);
    this.#laterSlots = Math.min(capacity, this.#settings.laterSlots ?? Math.ceil(capacity / 2));
    this.#delivery = new OrderedDelivery(laneCount, (part) => this.#write(part));
    this.#sizeHistory.push({ batch: 0, size: this.#sizer.size });
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
      inFlight: this.#window.size,
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
    const feeding = feed(this.#options.source, this.#lanes, this.#stop.signal)
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
      await feeding;
      await this.#drain();
      await this.#closeSinks();
    } finally {
      cancelDuration?.();
      signal?.removeEventListener("abort", onAbort);
      this.#endMs = this.#clock.now();
    }
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

  /** Cuts and submits batches until the lanes are closed and empty, or a failure halts the pipeline. */
  async #cutBatches(): Promise<void> {
    const lanes = this.#lanes;
    const counts: LaneCounts = [];
    for (;;) {
      await this.#window.waitForRoom();
      if (this.#fatal !== undefined) return;
      const size = this.#sizer.size;
      if (!lanes.firstLaneUrgent || this.#laterInFlight < this.#laterSlots) {
        const batch = await this.#fill(size, counts);
        if (batch.length === 0) {
          if (this.#fatal !== undefined || (lanes.closed && lanes.size === 0)) return;
          continue;
        }
        this.#submit(batch, counts);
        continue;
      }
      // Every slot for other lanes is taken: only a batch of urgent records may go now.
      if (lanes.depth(0) > 0) {
        this.#submit(lanes.take(size, counts, 0), counts);
        continue;
      }
      if (lanes.closed) {
        if (lanes.size === 0) return;
        await this.#window.settleOne();
      } else {
        await Promise.race([lanes.waitForUrgent(), this.#window.settleOne()]);
      }
    }
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
    const urgentNow = () => lanes.firstLaneUrgent && (counts[0] as number) > 0;
    if (batch.length === size || urgentNow()) return batch;
    // Filling: keep the records grouped by lane, most urgent first, as `take` returns them.
    const byLane: R[][] = lanes.names.map(() => []);
    let offset = 0;
    counts.forEach((count, lane) => {
      for (let i = 0; i < count; i++) (byLane[lane] as R[]).push(batch[offset + i] as R);
      offset += count;
    });
    let total = batch.length;
    const more: LaneCounts = [];
    while (total < size && !lanes.closed && this.#fatal === undefined) {
      if (!(await lanes.waitForRecords(this.#settings.maxWaitMs))) break; // quiet for maxWaitMs: cut what there is
      const arrived = lanes.take(size - total, more);
      let at = 0;
      more.forEach((count, lane) => {
        for (let i = 0; i < count; i++) (byLane[lane] as R[]).push(arrived[at + i] as R);
        at += count;
      });
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
    const laneSeqs = laneCounts.map((count, lane) => (count > 0 ? this.#delivery.reserve(lane) : -1));
    const urgent = this.#lanes.firstLaneUrgent && (laneCounts[0] as number) > 0;
    const holdsLater = !this.#lanes.firstLaneUrgent || records.length > (laneCounts[0] as number);
    const ticket = this.#sizer.cut(records.length);
    if (this.#events.wants("batch-cut")) this.#events.emit("batch-cut", { batchId, size: records.length, laneCounts });
    const cut: Cut<R> = { batchId, records, laneCounts, laneSeqs, urgent, ticket };
    if (holdsLater) this.#laterInFlight++;
    this.#recordsInFlight += records.length;
    const done = this.#process(cut).finally(() => {
      if (holdsLater) this.#laterInFlight--;
      this.#recordsInFlight -= records.length;
    });
    this.#window.track(done);
  }

  /** Computes one batch (through the failure policy if its call fails) and writes it. Never rejects. */
  async #process(cut: Cut<R>): Promise<void> {
    const { batchId, records } = cut;
    let outputs: ArrayLike<unknown>;
    const submittedMs = this.#clock.now();
    try {
      if (this.#events.wants("batch-submitted")) {
        this.#events.emit("batch-submitted", { batchId, size: records.length, urgent: cut.urgent });
      }
      outputs = await this.#call(records, this.#executor, cut.urgent);
      const durationMs = this.#clock.now() - submittedMs;
      this.#batchesCompleted++;
      this.#observeSize(batchId, () => this.#sizer.completed(cut.ticket, durationMs));
      if (this.#events.wants("batch-completed")) {
        this.#events.emit("batch-completed", { batchId, size: records.length, durationMs });
      }
    } catch (error) {
      try {
        outputs = await this.#resolveFailure(cut, toError(error));
      } catch (machinery) {
        this.#halt(toError(machinery));
        this.#unwritten += records.length;
        await this.#offerEmpty(cut);
        return;
      }
    }
    await this.#offer(cut, outputs);
  }

  /** One call through the transport; an output count that does not match the batch is the call's failure. */
  async #call(records: readonly R[], executor: Executor, urgent: boolean): Promise<ArrayLike<unknown>> {
    const options: RunOptions = {
      ...(urgent ? { priority: "urgent" as const } : {}),
      ...(this.#settings.taskTimeoutMs === undefined ? {} : { timeoutMs: this.#settings.taskTimeoutMs }),
    };
    const outputs = await runBatch(executor, this.#transport, records, options);
    if (outputs === null || typeof outputs !== "object" || outputs.length !== records.length) {
      const got = outputs !== null && typeof outputs === "object" ? outputs.length : "no";
      throw new InvalidArgumentError(`the kernel returned ${got} outputs for ${records.length} records`);
    }
    return outputs;
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
    const outputs = new Array<unknown>(records.length);
    let at = 0;
    for (const part of resolution.parts) {
      const n = part.records.length;
      if (part.kind === "computed") {
        if (part.outputs.length !== n)
          throw new InvalidArgumentError("a recovered part has the wrong number of outputs");
        for (let i = 0; i < n; i++) outputs[at + i] = part.outputs[i];
        this.#recoveries++;
        if (this.#events.wants("batch-recovered")) {
          this.#events.emit("batch-recovered", { batchId, size: n, attempts: part.attempts });
        }
      } else if (part.kind === "failed") {
        for (let i = 0; i < n; i++) outputs[at + i] = errorRecordOf(part.records[i], part.error);
      } else {
        for (let i = 0; i < n; i++) outputs[at + i] = DEAD_LETTERED;
        this.#deadLetters += n;
        if (this.#events.wants("dead-lettered")) {
          this.#events.emit("dead-lettered", { batchId, size: n, attempts: part.attempts, error: part.error });
        }
      }
      at += n;
    }
    if (at !== records.length) {
      throw new InvalidArgumentError(
        `the failure policy "${this.#policy.name}" accounted for ${at} of ${records.length} records`,
      );
    }
    if (resolution.stop !== undefined) this.#halt(resolution.stop);
    return outputs;
  }

  #notify(failure: BatchFailure<R>, next: PipelineEventMap["batch-failed"]["next"]): void {
    if (!this.#events.wants("batch-failed")) return;
    const { batchId, records, attempts, error } = failure;
    this.#events.emit("batch-failed", { batchId, size: records.length, attempts, error, next });
  }

  /** Offers each lane's part of the batch to the ordered delivery; resolves once all are written. */
  async #offer(cut: Cut<R>, outputs: ArrayLike<unknown>): Promise<void> {
    const writes: Promise<void>[] = [];
    let start = 0;
    cut.laneCounts.forEach((count, lane) => {
      if (count === 0) return;
      const end = start + count;
      const part: Part<R> = { batchId: cut.batchId, lane, records: cut.records, outputs, start, end };
      writes.push(this.#delivery.offer(lane, cut.laneSeqs[lane] as number, part));
      start = end;
    });
    await Promise.all(writes);
  }

  /** Keeps the lanes' order moving when a batch's records were given up on. */
  async #offerEmpty(cut: Cut<R>): Promise<void> {
    const empty: ArrayLike<unknown> = { length: 0 };
    const writes = cut.laneCounts.map((count, lane) =>
      count === 0
        ? Promise.resolve()
        : this.#delivery.offer(lane, cut.laneSeqs[lane] as number, {
            batchId: cut.batchId,
            lane,
            records: cut.records,
            outputs: empty,
            start: 0,
            end: 0,
          }),
    );
    await Promise.all(writes);
  }

  /** Writes one lane's part to every sink and counts its records. Never rejects. */
  async #write(part: Part<R>): Promise<void> {
    const count = part.end - part.start;
    if (count === 0) return;
    if (this.#gaveUp) return; // counted as unwritten when stopping gave up on it
    if (this.#sinksFailed) {
      this.#unwritten += count - this.#deadLetteredIn(part);
      return;
    }
    const batch = this.#sinkBatch(part);
    const lane = part.lane;
    this.#sampleLatency(part, batch);
    try {
      for (const sink of this.#sinks) await sink.write(batch);
    } catch (error) {
      this.#sinksFailed = true;
      const cause = toError(error);
      this.#halt(new SinkError(`a sink failed to write: ${cause.message}`, { cause }));
      this.#unwritten += count - this.#deadLetteredIn(part);
      return;
    }
    let poison = 0;
    for (const failure of batch.failures) if (failure.status === "POISON_PILL") poison++;
    this.#poisonPills += poison;
    this.#errorRecords += batch.failures.length - poison;
    this.#results += batch.records.length;
    this.#delivered[lane] = (this.#delivered[lane] as number) + batch.records.length + batch.failures.length;
  }

  /** Splits a part into results and failures; no copy in the common case of a whole batch of results. */
  #sinkBatch(part: Part<R>): SinkBatch<R, Out> {
    const { records, outputs, start, end } = part;
    const laneName = this.#lanes.names[part.lane] as string;
    // Typed-array outputs hold numbers only: no failure can be among them.
    let clean = ArrayBuffer.isView(outputs);
    if (!clean) {
      clean = true;
      for (let i = start; i < end; i++) {
        const output = outputs[i];
        if (output === DEAD_LETTERED || isRecordFailure(output)) {
          clean = false;
          break;
        }
      }
    }
    if (clean) {
      const whole = start === 0 && end === records.length && end === outputs.length;
      return {
        lane: laneName,
        records: whole ? records : records.slice(start, end),
        results: (whole ? outputs : sliceOf(outputs, start, end)) as ArrayLike<Out>,
        failures: [],
      };
    }
    const kept: R[] = [];
    const results: Out[] = [];
    const failures: RecordFailure[] = [];
    for (let i = start; i < end; i++) {
      const output = outputs[i];
      if (output === DEAD_LETTERED) continue;
      if (isRecordFailure(output)) failures.push(output);
      else {
        kept.push(records[i] as R);
        results.push(output as Out);
      }
    }
    return { lane: laneName, records: kept, results, failures };
  }

  #deadLetteredIn(part: Part<R>): number {
    let n = 0;
    for (let i = part.start; i < part.end; i++) if (part.outputs[i] === DEAD_LETTERED) n++;
    return n;
  }

  /**
   * Latency from creation to delivery, sampled: up to `latencySamples` records
   * of the part, evenly spaced, each weighted by the records it stands for.
   */
  #sampleLatency(part: Part<R>, batch: SinkBatch<R, Out>): void {
    const { records, start, end, lane } = part;
    const now = this.#clock.now();
    const delivered = batch.records.length + batch.failures.length;
    if (delivered === 0) return;
    const count = end - start;
    const samples = Math.min(count, this.#settings.latencySamples);
    const histogram = this.#latency[lane] as LatencyHistogram;
    const weight = delivered / samples;
    const step = count / samples;
    let oldest = 0;
    for (let k = 0; k < samples; k++) {
      const createdAt = readCreatedAt(this.#schema, records[start + Math.floor(k * step)] as R);
      const latencyMs = now - createdAt;
      histogram.record(latencyMs, weight);
      if (latencyMs > oldest) oldest = latencyMs;
    }
    if (this.#events.wants("lane-latency")) {
      const laneName = this.#lanes.names[lane] as string;
      this.#events.emit("lane-latency", {
        batchId: part.batchId,
        lane: laneName,
        records: delivered,
        latencyMs: oldest,
      });
    }
  }

  #observeSize(batchId: number, change: () => void): void {
    const from = this.#sizer.size;
    change();
    const to = this.#sizer.size;
    if (to === from) return;
    if (this.#sizeHistory.length >= SIZE_HISTORY_LIMIT) this.#sizeHistory.splice(1, 1);
    this.#sizeHistory.push({ batch: this.#batchesCut, size: to });
    if (this.#events.wants("size-changed")) this.#events.emit("size-changed", { batchId, from, to });
  }

  /** Waits for the batches in flight and their writes, at most `drainTimeoutMs`. */
  async #drain(): Promise<void> {
    let cancel: (() => void) | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      cancel = this.#clock.setTimer(this.#settings.drainTimeoutMs, () => resolve(true));
    });
    const settled = this.#window.drain().then(() => this.#delivery.idle().then(() => false));
    const gaveUp = await Promise.race([settled, timedOut]);
    cancel?.();
    if (gaveUp) {
      // What is still in flight will not be written: count it now, and drop it when it comes back.
      this.#gaveUp = true;
      this.#unwritten += this.#recordsInFlight;
    }
  }

  async #closeSinks(): Promise<void> {
    for (const sink of this.#sinks) {
      try {
        await sink.close();
      } catch (error) {
        const cause = toError(error);
        this.#halt(new SinkError(`a sink failed to close: ${cause.message}`, { cause }));
      }
    }
  }

  #stopInput(reason: StopReason): void {
    if (this.#stop.signal.aborted) return;
    this.#stopReason = reason;
    this.#stop.abort(new AbortError(reason));
  }

  /** A failure of the machinery, or fail fast: no new batch starts; the ones under way finish. */
  #halt(error: Error): void {
    this.#fatal ??= { error };
    this.#stopInput("failed");
    this.#lanes.close();
  }

  #accounting(): Accounting {
    const entered = this.#lanes.accepted;
    const leftInLanes = this.#fatal === undefined && !this.#gaveUp ? 0 : this.#lanes.size;
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

function readCreatedAt<R>(schema: RecordSchema<R>, record: R): number {
  try {
    return schema.createdAt(record);
  } catch {
    return Number.NaN; // a record that cannot be read has no latency; the histogram ignores NaN
  }
}

function sliceOf(outputs: ArrayLike<unknown>, start: number, end: number): ArrayLike<unknown> {
  if (ArrayBuffer.isView(outputs)) return (outputs as unknown as Float64Array).subarray(start, end);
  return Array.prototype.slice.call(outputs, start, end);
}
