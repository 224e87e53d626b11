/**
 * Puts a pipeline's input into its lanes. A `Source` does its own ingesting;
 * a plain iterable is pumped here: a synchronous one record by record without
 * awaiting while there is room (an await per record would cost more than the
 * light kernels), an async one with its next record raced against the stop
 * signal, so a source that waits (a sensor between readings) stops at once.
 * Either way the iterator's `return()` is called, so producers behind it are
 * released.
 */
import {
  AbortError,
  QueueClosedError,
  type RecordTarget,
  type Source,
  type SourceReport,
  StoppableReader,
} from "@poolstream/core";

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
  const reader = new StoppableReader(iterator, signal);
  try {
    for (;;) {
      const next = await reader.next();
      if (next.done === true) break;
      if (!target.tryPut(next.value)) await target.put(next.value, { signal });
      total++;
    }
  } catch (error) {
    if (!stoppedBy(error)) throw error;
  } finally {
    reader.release();
  }
  return report(total);
}
