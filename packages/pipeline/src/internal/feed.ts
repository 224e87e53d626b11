/**
 * Puts a pipeline's input into its lanes. A `Source` does its own ingesting;
 * a plain iterable is pumped here: a synchronous one record by record without
 * awaiting while there is room (an await per record would cost more than the
 * light kernels), an async one with its next record raced against the stop
 * signal, so a source that waits (a sensor between readings) stops at once.
 * Either way the iterator's `return()` is called, so producers behind it are
 * released.
 */
import { AbortError, QueueClosedError, type RecordTarget, type Source, type SourceReport } from "@poolstream/core";

/** What a pipeline reads: a `Source`, or records from any iterable. */
export type PipelineInput<R> = Source<R> | Iterable<R> | AsyncIterable<R>;

const INPUT_ID = "input";

export function isSource<R>(input: PipelineInput<R>): input is Source<R> {
  return typeof (input as Partial<Source<R>>).ingest === "function";
}

/** Ends quietly (false) when the target was closed or the put aborted; anything else is thrown. */
function stoppedBy(error: unknown): boolean {
  return error instanceof QueueClosedError || error instanceof AbortError;
}

function report(total: number): SourceReport {
  return Object.freeze({ perSource: Object.freeze({ [INPUT_ID]: total }), total, errors: Object.freeze([]) });
}

/** Ingests `input` into `target` until it ends or `signal` fires. Rejects only when the input itself throws. */
export async function feed<R>(
  input: PipelineInput<R>,
  target: RecordTarget<R>,
  signal: AbortSignal,
): Promise<SourceReport> {
  if (isSource(input)) return input.ingest(target, signal);
  if (Symbol.asyncIterator in input) return feedAsync(input[Symbol.asyncIterator](), target, signal);
  return feedSync(input[Symbol.iterator](), target, signal);
}

async function feedSync<R>(iterator: Iterator<R>, target: RecordTarget<R>, signal: AbortSignal): Promise<SourceReport> {
  let total = 0;
  try {
    for (;;) {
      if (signal.aborted) break;
      const next = iterator.next();
      if (next.done === true) break;
      if (!target.tryPut(next.value)) await target.put(next.value, { signal });
      total++;
    }
  } catch (error) {
    if (!stoppedBy(error)) throw error;
  } finally {
    iterator.return?.();
  }
  return report(total);
}

async function feedAsync<R>(
  iterator: AsyncIterator<R>,
  target: RecordTarget<R>,
  signal: AbortSignal,
): Promise<SourceReport> {
  let total = 0;
  const STOPPED: IteratorResult<R> = { done: true, value: undefined };
  // One slot for whichever read is waiting: a stop settles it. (Racing each read against one shared
  // stop promise would leave a reaction on that promise per record until the stop: memory would grow.)
  let wake: ((result: IteratorResult<R>) => void) | undefined;
  const onAbort = () => wake?.(STOPPED);
  signal.addEventListener("abort", onAbort, { once: true });
  let finished = false;
  try {
    for (;;) {
      if (signal.aborted) break;
      const next = await new Promise<IteratorResult<R>>((resolve, reject) => {
        wake = resolve;
        iterator.next().then(resolve, reject);
      });
      wake = undefined;
      if (next.done === true) {
        finished = !signal.aborted;
        break;
      }
      if (!target.tryPut(next.value)) await target.put(next.value, { signal });
      total++;
    }
  } catch (error) {
    if (!stoppedBy(error)) {
      finished = true; // a throwing iterator is done; return() would only rethrow
      throw error;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    // Not awaited: an async generator suspended in an await handles return() only when it next yields.
    if (!finished) iterator.return?.()?.catch(() => {});
  }
  return report(total);
}
