/**
 * How a batch travels to a kernel and back. The object transport sends the
 * records as they are; the columnar transport encodes them into one buffer
 * (transferred where the executor can, copied once where it cannot) and turns
 * the kernel's output back into whatever the caller wants. A pipeline takes a
 * transport, so the choice is one argument, not a second code path.
 */
import { type ColumnarBatch, encodeColumnar } from "./columnar-batch.ts";
import type { Executor, RunOptions } from "./executor.ts";
import type { Kernel } from "./kernel.ts";
import type { RecordSchema } from "./record-schema.ts";
import { SensorInterner } from "./sensor-interner.ts";

export interface EncodedBatch<W> {
  readonly input: W;
  /** Buffers of `input` the executor may move instead of copying. */
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

/** Records travel as they are (cloned by a thread backend); the kernel's output comes back as it is. */
export function objectTransport<R, Out>(kernel: Kernel<readonly R[], Out>): BatchTransport<R, readonly R[], Out, Out> {
  return {
    name: "objects",
    kernel,
    encode: (batch) => ({ input: batch }),
    decode: (output) => output,
  };
}

export interface ColumnarTransportOptions<R> {
  /** Which fields become columns; the sensor record's own by default. */
  readonly schema?: RecordSchema<R>;
  /** The sensor-id table; it stays on this thread. Default: a fresh one. */
  readonly interner?: SensorInterner;
}

/**
 * Records are encoded into a columnar batch whose buffer is handed over for
 * transfer; the sensor-id table stays here. `decode` joins the kernel's
 * output with the original records (default: the output as it is).
 */
export function columnarTransport<R, Out, Result = Out>(
  kernel: Kernel<ColumnarBatch, Out>,
  decode: (output: Out, batch: readonly R[]) => Result = (output) => output as unknown as Result,
  options: ColumnarTransportOptions<R> = {},
): BatchTransport<R, ColumnarBatch, Out, Result> {
  const interner = options.interner ?? new SensorInterner();
  const { schema } = options;
  return {
    name: "columnar",
    kernel,
    encode(batch) {
      const input = encodeColumnar(batch, interner, schema);
      return { input, transfer: [input.buffer] };
    },
    decode,
  };
}

/**
 * Encodes `batch`, runs it on `executor`, decodes the output. When the
 * executor filled in `options.timing.costMs`, the encoding and decoding are
 * added to it: they are the batch's cost too, paid on this thread.
 */
export async function runBatch<R, W, Out, Result>(
  executor: Executor,
  transport: BatchTransport<R, W, Out, Result>,
  batch: readonly R[],
  options: RunOptions = {},
): Promise<Result> {
  const { timing } = options;
  // The clock is read only for a caller that asked for the batch's cost.
  const encodeStart = timing === undefined ? 0 : performance.now();
  const { input, transfer } = transport.encode(batch);
  const encodeMs = timing === undefined ? 0 : performance.now() - encodeStart;
  // A transferred input leaves this thread: the executor may need it again (its worker died, or it is moved).
  const runOptions =
    transfer === undefined
      ? options
      : {
          ...options,
          transfer: options.transfer === undefined ? transfer : [...options.transfer, ...transfer],
          reencode: () => transport.encode(batch),
        };
  const output = await executor.run(transport.kernel, input, runOptions);
  if (timing === undefined) return transport.decode(output, batch);
  const decodeStart = performance.now();
  const result = transport.decode(output, batch);
  if (timing.costMs !== undefined) timing.costMs += encodeMs + (performance.now() - decodeStart);
  return result;
}
