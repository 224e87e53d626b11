/**
 * Tagged JSON: JSON that keeps what JSON cannot. A dead letter is often exactly the record
 * JSON would alter, and it must come back unchanged, so these are written as
 * small tagged objects (`{ "$poolstream": kind, "v": payload }`) and read back
 * as themselves: NaN, ±Infinity, -0, undefined, bigint, Date, Map, Set, typed
 * arrays (a Buffer as a Uint8Array), ArrayBuffers, SharedArrayBuffers,
 * DataViews, Errors (name, message, stack, cause and own properties such as
 * `code`; the class is not kept), and any object that itself has a
 * `$poolstream` key (escaped, so that data shaped like the tag is never
 * misread). Other objects are stored as their own enumerable properties.
 *
 * What cannot be stored is stored as an explicit description instead, never
 * as `{}`: a function, a symbol, a cycle back to an enclosing object, or a
 * property whose getter throws reads back as an `UnstorableValue`.
 *
 * Given a list to fill (`binary`), ArrayBuffers and the typed arrays over
 * them are not written as JSON numbers but set aside as whole buffers, the
 * JSON naming each by its place in the list (and a view by its buffer,
 * offset and length, so views sharing a buffer still share it when read
 * back). A wire format sends the buffers as bytes beside the JSON.
 */

import { InvalidArgumentError } from "./errors.ts";

const TAG = "$poolstream";

/** What reads back in place of a value that cannot be stored. */
export interface UnstorableValue {
  readonly unstorable: "function" | "symbol" | "cycle" | "unreadable";
  /** What it was: the function's source head, the symbol's description, the getter's error. */
  readonly description: string;
}

const TYPED_ARRAYS: Record<string, new (items: ArrayLike<number | bigint>) => ArrayLike<number | bigint>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  ...("Float16Array" in globalThis
    ? { Float16Array: (globalThis as unknown as { Float16Array: typeof Float32Array }).Float16Array }
    : {}),
} as never;

type Tagged = { readonly [TAG]: string; readonly v?: unknown };

const tagged = (kind: string, v?: unknown): Tagged => (v === undefined ? { [TAG]: kind } : { [TAG]: kind, v });

function unstorable(kind: UnstorableValue["unstorable"], description: string): Tagged {
  return tagged("unstorable", { unstorable: kind, description } satisfies UnstorableValue);
}

function encodeNumber(value: number): Tagged | number {
  if (Number.isNaN(value)) return tagged("NaN");
  if (value === Number.POSITIVE_INFINITY) return tagged("Infinity");
  if (value === Number.NEGATIVE_INFINITY) return tagged("-Infinity");
  if (Object.is(value, -0)) return tagged("-0");
  return value;
}

/** What an encoding carries along: the objects it is inside of, and where buffers go when they go out of band. */
interface EncodeContext {
  readonly ancestors: Set<object>;
  readonly binary: ArrayBufferLike[] | undefined;
}

function encodeValue(value: unknown, context: EncodeContext): unknown {
  switch (typeof value) {
    case "number":
      return encodeNumber(value);
    case "undefined":
      return tagged("undefined");
    case "bigint":
      return tagged(`bigint:${value.toString()}`);
    case "function":
      return unstorable("function", firstLine(Function.prototype.toString.call(value)));
    case "symbol":
      return unstorable("symbol", value.toString());
    case "object":
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (context.ancestors.has(value)) return unstorable("cycle", "a reference back to an enclosing object");
  context.ancestors.add(value);
  try {
    return encodeObject(value, context);
  } finally {
    context.ancestors.delete(value);
  }
}

function encodeObject(value: object, context: EncodeContext): unknown {
  if (context.binary !== undefined) {
    const outOfBand = encodeOutOfBand(value, context.binary);
    if (outOfBand !== undefined) return outOfBand;
  }
  if (Array.isArray(value)) return value.map((item) => encodeValue(item, context));
  if (value instanceof Date) return tagged("Date", encodeNumber(value.getTime()));
  if (value instanceof Map) {
    return tagged(
      "Map",
      [...value].map(([key, item]) => [encodeValue(key, context), encodeValue(item, context)]),
    );
  }
  if (value instanceof Set)
    return tagged(
      "Set",
      [...value].map((item) => encodeValue(item, context)),
    );
  if (value instanceof ArrayBuffer) return tagged("ArrayBuffer", Array.from(new Uint8Array(value)));
  if (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer) {
    return tagged("SharedArrayBuffer", Array.from(new Uint8Array(value)));
  }
  if (value instanceof DataView) {
    return tagged("DataView", Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)));
  }
  if (ArrayBuffer.isView(value)) {
    // By its built-in tag, not its constructor: a Buffer is a Uint8Array, and is stored as one.
    const name = Object.prototype.toString.call(value).slice(8, -1);
    if (Object.hasOwn(TYPED_ARRAYS, name)) {
      return tagged(
        name,
        Array.from(value as unknown as ArrayLike<number | bigint>, (n) => encodeValue(n, context)),
      );
    }
  }
  if (value instanceof Error) {
    let extra: Record<string, unknown> = {};
    try {
      extra = encodeEntries(value, context);
    } catch {
      // an Error behind a Proxy: its name, message and stack are still kept
    }
    const cause = "cause" in value ? { cause: encodeValue(value.cause, context) } : {};
    return tagged("Error", { name: value.name, message: value.message, stack: value.stack ?? null, extra, ...cause });
  }
  let out: Record<string, unknown>;
  try {
    out = encodeEntries(value, context);
  } catch (error) {
    return unstorable("unreadable", `its keys could not be listed: ${messageOf(error)}`);
  }
  // Data that has the tag's own key is escaped, so that it reads back as data.
  return TAG in out ? tagged("object", out) : out;
}

/** An object's own enumerable properties, encoded. Throws only when its keys cannot be listed (a Proxy). */
function encodeEntries(value: object, context: EncodeContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    let child: unknown;
    try {
      child = (value as Record<string, unknown>)[key];
    } catch (error) {
      setOwn(out, key, unstorable("unreadable", `reading "${key}" threw: ${messageOf(error)}`));
      continue;
    }
    setOwn(out, key, encodeValue(child, context));
  }
  return out;
}

/** A buffer's place in `binary`, added there the first time it is seen. */
function bufferIndex(buffer: ArrayBufferLike, binary: ArrayBufferLike[]): number {
  const known = binary.indexOf(buffer);
  if (known !== -1) return known;
  binary.push(buffer);
  return binary.length - 1;
}

/** An ArrayBuffer or a typed array, set aside in `binary`; undefined for anything else. */
function encodeOutOfBand(value: object, binary: ArrayBufferLike[]): Tagged | undefined {
  if (value instanceof ArrayBuffer) return tagged("bin", bufferIndex(value, binary));
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
  const name = Object.prototype.toString.call(value).slice(8, -1);
  if (!Object.hasOwn(TYPED_ARRAYS, name)) return undefined;
  const view = value as unknown as { buffer: ArrayBufferLike; byteOffset: number; length: number };
  return tagged("view", [name, bufferIndex(view.buffer, binary), view.byteOffset, view.length]);
}

/** `target[key] = value` as an own property, even for "__proto__" (which would set the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** The buffers an out-of-band encoding set aside, in order; none for plain tagged JSON. */
type Buffers = readonly ArrayBufferLike[];

function decodeValue(value: unknown, buffers: Buffers = []): unknown {
  if (Array.isArray(value)) return value.map((item) => decodeValue(item, buffers));
  if (typeof value !== "object" || value === null) return value;
  if (TAG in value) return decodeTagged(value as Tagged, buffers);
  return decodeEntries(value as Record<string, unknown>, buffers);
}

function decodeEntries(value: Record<string, unknown>, buffers: Buffers = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) setOwn(out, key, decodeValue(child, buffers));
  return out;
}

/** The buffer an out-of-band tag names; a typed error for a name that is not there. */
function bufferAt(buffers: Buffers, index: unknown): ArrayBufferLike {
  const buffer = Number.isInteger(index) ? buffers[index as number] : undefined;
  if (buffer === undefined)
    throw new InvalidArgumentError(`tagged JSON names buffer ${String(index)}, which is missing`);
  return buffer;
}

function decodeView(payload: unknown, buffers: Buffers): unknown {
  const [name, index, offset, length] = Array.isArray(payload) ? payload : [];
  const typedArray = typeof name === "string" && Object.hasOwn(TYPED_ARRAYS, name) ? TYPED_ARRAYS[name] : undefined;
  if (typedArray === undefined)
    throw new InvalidArgumentError(`tagged JSON has a view of unknown type ${String(name)}`);
  const make = typedArray as unknown as new (buffer: ArrayBufferLike, offset: number, length: number) => unknown;
  try {
    return new make(bufferAt(buffers, index), offset as number, length as number);
  } catch (error) {
    throw new InvalidArgumentError(`tagged JSON has a ${name} outside its buffer: ${messageOf(error)}`);
  }
}

function decodeTagged(value: Tagged, buffers: Buffers): unknown {
  const kind = value[TAG];
  const payload = value.v;
  const decodeChild = (item: unknown): unknown => decodeValue(item, buffers);
  switch (kind) {
    case "bin":
      return bufferAt(buffers, payload);
    case "view":
      return decodeView(payload, buffers);
    case "NaN":
      return Number.NaN;
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
    case "-0":
      return -0;
    case "undefined":
      return undefined;
    case "Date":
      return new Date(decodeChild(payload) as number);
    case "Map":
      return new Map((payload as [unknown, unknown][]).map(([k, v]) => [decodeChild(k), decodeChild(v)]));
    case "Set":
      return new Set((payload as unknown[]).map(decodeChild));
    case "ArrayBuffer":
      return new Uint8Array(payload as number[]).buffer;
    case "SharedArrayBuffer": {
      const bytes = payload as number[];
      const shared = new SharedArrayBuffer(bytes.length);
      new Uint8Array(shared).set(bytes);
      return shared;
    }
    case "DataView":
      return new DataView(new Uint8Array(payload as number[]).buffer);
    case "Error": {
      const { name, message, stack, extra, ...rest } = payload as {
        name: string;
        message: string;
        stack: string | null;
        extra?: Record<string, unknown>;
        cause?: unknown;
      };
      const error = new Error(message, "cause" in rest ? { cause: decodeChild(rest.cause) } : undefined);
      error.name = name;
      if (stack !== null) error.stack = stack;
      if (extra !== undefined) Object.assign(error, decodeEntries(extra, buffers));
      return error;
    }
    case "object":
      return decodeEntries(payload as Record<string, unknown>, buffers);
    case "unstorable":
      return Object.freeze({ ...(payload as UnstorableValue) });
  }
  if (kind.startsWith("bigint:")) return BigInt(kind.slice("bigint:".length));
  const typedArray = Object.hasOwn(TYPED_ARRAYS, kind) ? TYPED_ARRAYS[kind] : undefined;
  if (typedArray !== undefined) return new typedArray((payload as unknown[]).map(decodeChild) as number[]);
  // Written by a later version: keep it as data rather than guess.
  return decodeEntries(value as unknown as Record<string, unknown>, buffers);
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "(an error that cannot be described)";
  }
}

/**
 * Serializes `value` to JSON, tagging what JSON would lose or alter, and
 * describing what cannot be stored (see the module comment). Never throws for
 * a hostile value: a throwing getter or a cycle is described, not followed.
 */
export function encodeForStore(value: unknown): string {
  return JSON.stringify(encodeValue(value, { ancestors: new Set(), binary: undefined })) ?? "null";
}

/** The value `encodeForStore` wrote (with `UnstorableValue` where it could not store one). */
export function decodeFromStore(text: string): unknown {
  return decodeValue(JSON.parse(text));
}

/**
 * Like `encodeForStore`, with every ArrayBuffer (and the buffer under every
 * typed array) set aside in `binary` instead of written as numbers: for a
 * wire format that sends the buffers as bytes beside the JSON.
 */
export function encodeTaggedJson(value: unknown, binary: ArrayBufferLike[]): string {
  return JSON.stringify(encodeValue(value, { ancestors: new Set(), binary })) ?? "null";
}

/**
 * The value `encodeTaggedJson` wrote, with `buffers` in the order it set
 * them aside. Throws `InvalidArgumentError` for text that is not JSON or
 * names a buffer or a range that is not there.
 */
export function decodeTaggedJson(text: string, buffers: readonly ArrayBufferLike[]): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`tagged JSON does not parse: ${messageOf(error)}`);
  }
  try {
    return decodeValue(parsed, buffers);
  } catch (error) {
    // A tag with the wrong payload (a Map that is not a list, a bigint that is not digits): not this format.
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError(`tagged JSON could not be read: ${messageOf(error)}`);
  }
}
