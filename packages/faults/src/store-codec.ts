/**
 * JSON that keeps what JSON cannot: NaN, ±Infinity, -0, undefined and bigint
 * are written as small tagged objects and read back as themselves. A dead
 * letter is often exactly such a record, and it must come back unchanged.
 */

const TAG = "$poolstream";

type Tagged = { readonly [TAG]: "NaN" | "Infinity" | "-Infinity" | "-0" | "undefined" | `bigint:${string}` };

function tagOf(value: unknown): Tagged | undefined {
  if (typeof value === "number") {
    if (Number.isNaN(value)) return { [TAG]: "NaN" };
    if (value === Number.POSITIVE_INFINITY) return { [TAG]: "Infinity" };
    if (value === Number.NEGATIVE_INFINITY) return { [TAG]: "-Infinity" };
    if (Object.is(value, -0)) return { [TAG]: "-0" };
    return undefined;
  }
  if (value === undefined) return { [TAG]: "undefined" };
  if (typeof value === "bigint") return { [TAG]: `bigint:${value.toString()}` };
  return undefined;
}

function encodeValue(value: unknown): unknown {
  const tagged = tagOf(value);
  if (tagged !== undefined) return tagged;
  if (Array.isArray(value)) return value.map(encodeValue);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = encodeValue(child);
    return out;
  }
  return value;
}

function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (typeof value !== "object" || value === null) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === TAG) {
    const tag = (value as Tagged)[TAG];
    if (tag === "NaN") return Number.NaN;
    if (tag === "Infinity") return Number.POSITIVE_INFINITY;
    if (tag === "-Infinity") return Number.NEGATIVE_INFINITY;
    if (tag === "-0") return -0;
    if (tag === "undefined") return undefined;
    if (tag.startsWith("bigint:")) return BigInt(tag.slice("bigint:".length));
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = decodeValue(child);
  return out;
}

/** Serializes `value` to JSON, tagging what JSON would lose. Functions and symbols are dropped, as in JSON. */
export function encodeForStore(value: unknown): string {
  return JSON.stringify(encodeValue(value)) ?? "null";
}

export function decodeFromStore(text: string): unknown {
  return decodeValue(JSON.parse(text));
}
