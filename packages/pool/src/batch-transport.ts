/**
 * How a batch travels to a kernel and back. The object transport clones
 * record objects; the columnar transport encodes them into one buffer that is
 * transferred (no copy) and turns the kernel's columns back into whatever the
 * caller wants. Stages that run batches take a transport, so the choice is
 * one argument, not a second code path.
 */
import { type ColumnarBatch, encodeColumnar, type Kernel, SensorInterner, type SensorRecord } from "@poolstream/core";
import type { RunOptions, TaskExecutor } from "./task-executor.ts";

export interface EncodedBatch<W> {
  readonly input: W;
  readonly transfer?: readonly Transferable[];
}

/** Runs batches of `R` through `kernel` (which sees `W` and returns `Out`), giving `Result`. */
export interface BatchTransport<R, W, Out, Result> {
  readonly name: "objects" | "columnar" | (string & {});
  readonly kernel: Kernel<W, Out>;
  encode(batch: readonly R[]): EncodedBatch<W>;
  /** Called on the thread that encoded, with the batch it encoded. */
  decode(output: Out, batch: readonly R[]): Result;
}

/** Records are cloned to the worker as objects; the kernel's output comes back as it is. */
export function objectTransport<R, Out>(kernel: Kernel<readonly R[], Out>): BatchTransport<R, readonly R[], Out, Out> {
  return {
    name: "objects",
    kernel,
    encode: (batch) => ({ input: batch }),
    decode: (output) => output,
  };
}

/**
 * Records are encoded into a columnar batch whose buffer is transferred; the
 * sensor-id table stays here, in `interner`. `decode` joins the kernel's
 * output with the original records (default: the output as it is).
 */
export function columnarTransport<Out, Result = Out>(
  kernel: Kernel<ColumnarBatch, Out>,
  decode: (output: Out, batch: readonly SensorRecord[]) => Result = (output) => output as unknown as Result,
  interner = new SensorInterner(),
): BatchTransport<SensorRecord, ColumnarBatch, Out, Result> {
  return {
    name: "columnar",
    kernel,
    encode(batch) {
      const input = encodeColumnar(batch, interner);
      return { input, transfer: [input.buffer] };
    },
    decode,
  };
}

/** Encodes `batch`, runs it on `executor`, decodes the output. */
export async function runBatch<R, W, Out, Result>(
  executor: TaskExecutor,
  transport: BatchTransport<R, W, Out, Result>,
  batch: readonly R[],
  options: RunOptions = {},
): Promise<Result> {
  const { input, transfer } = transport.encode(batch);
  const runOptions =
    transfer === undefined ? options : { ...options, transfer: [...(options.transfer ?? []), ...transfer] };
  const output = await executor.run(transport.kernel, input, runOptions);
  return transport.decode(output, batch);
}
