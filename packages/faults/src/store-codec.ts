/**
 * JSON that keeps what JSON cannot. A dead letter is often exactly the record
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
 */

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

function encodeValue(value: unknown, ancestors: Set<object>): unknown {
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
  if (ancestors.has(value)) return unstorable("cycle", "a reference back to an enclosing object");
  ancestors.add(value);
  try {
    return encodeObject(value, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function encodeObject(value: object, ancestors: Set<object>): unknown {
  if (Array.isArray(value)) return value.map((item) => encodeValue(item, ancestors));
  if (value instanceof Date) return tagged("Date", encodeNumber(value.getTime()));
  if (value instanceof Map) {
    return tagged(
      "Map",
      [...value].map(([key, item]) => [encodeValue(key, ancestors), encodeValue(item, ancestors)]),
    );
  }
  if (value instanceof Set)
    return tagged(
      "Set",
      [...value].map((item) => encodeValue(item, ancestors)),
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
        Array.from(value as unknown as ArrayLike<number | bigint>, (n) => encodeValue(n, ancestors)),
      );
    }
  }
  if (value instanceof Error) {
    let extra: Record<string, unknown> = {};
    try {
      extra = encodeEntries(value, ancestors);
    } catch {
      // an Error behind a Proxy: its name, message and stack are still kept
    }
    const cause = "cause" in value ? { cause: encodeValue(value.cause, ancestors) } : {};
    return tagged("Error", { name: value.name, message: value.message, stack: value.stack ?? null, extra, ...cause });
  }
  let out: Record<string, unknown>;
  try {
    out = encodeEntries(value, ancestors);
  } catch (error) {
    return unstorable("unreadable", `its keys could not be listed: ${messageOf(error)}`);
  }
  // Data that has the tag's own key is escaped, so that it reads back as data.
  return TAG in out ? tagged("object", out) : out;
}

/** An object's own enumerable properties, encoded. Throws only when its keys cannot be listed (a Proxy). */
function encodeEntries(value: object, ancestors: Set<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    let child: unknown;
    try {
      child = (value as Record<string, unknown>)[key];
    } catch (error) {
      setOwn(out, key, unstorable("unreadable", `reading "${key}" threw: ${messageOf(error)}`));
      continue;
    }
    setOwn(out, key, encodeValue(child, ancestors));
  }
  return out;
}

/** `target[key] = value` as an own property, even for "__proto__" (which would set the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (typeof value !== "object" || value === null) return value;
  if (TAG in value) return decodeTagged(value as Tagged);
  return decodeEntries(value as Record<string, unknown>);
}

function decodeEntries(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) setOwn(out, key, decodeValue(child));
  return out;
}

function decodeTagged(value: Tagged): unknown {
  const kind = value[TAG];
  const payload = value.v;
  switch (kind) {
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
      return new Date(decodeValue(payload) as number);
    case "Map":
      return new Map((payload as [unknown, unknown][]).map(([k, v]) => [decodeValue(k), decodeValue(v)]));
    case "Set":
      return new Set((payload as unknown[]).map(decodeValue));
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
      const error = new Error(message, "cause" in rest ? { cause: decodeValue(rest.cause) } : undefined);
      error.name = name;
      if (stack !== null) error.stack = stack;
      if (extra !== undefined) Object.assign(error, decodeEntries(extra));
      return error;
    }
    case "object":
      return decodeEntries(payload as Record<string, unknown>);
    case "unstorable":
      return Object.freeze({ ...(payload as UnstorableValue) });
  }
  if (kind.startsWith("bigint:")) return BigInt(kind.slice("bigint:".length));
  const typedArray = Object.hasOwn(TYPED_ARRAYS, kind) ? TYPED_ARRAYS[kind] : undefined;
  if (typedArray !== undefined) return new typedArray((payload as unknown[]).map(decodeValue) as number[]);
  // Written by a later version: keep it as data rather than guess.
  return decodeEntries(value as unknown as Record<string, unknown>);
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
  return JSON.stringify(encodeValue(value, new Set())) ?? "null";
}

/** The value `encodeForStore` wrote (with `UnstorableValue` where it could not store one). */
export function decodeFromStore(text: string): unknown {
  return decodeValue(JSON.parse(text));
}
