/**
 * A sensor record from the fields of one line or message, through a field
 * mapping; or the reason it cannot be one. Textual input (CSV) gives every
 * field as a string, so numbers are read from text there; JSON gives types,
 * and a wrong one is refused rather than guessed at.
 */
import type { SensorRecord } from "@poolstream/core";
import type { FieldMapping, FieldRole } from "./field-mapping.ts";

export interface Problem {
  readonly problem: string;
  /** The error class a reader would have thrown: TypeError for a wrong or missing field, RangeError for a bad number. */
  readonly errorType: "TypeError" | "RangeError";
}

const fieldOf = (mapping: FieldMapping, role: FieldRole): string => mapping[role] ?? role;

function named(mapping: FieldMapping, role: FieldRole): string {
  const field = fieldOf(mapping, role);
  return field === role ? `"${field}"` : `"${field}" (${role})`;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * A sensor record from `fields` through `mapping`, or why it cannot be one.
 * `defaultSeq` is used when no field fills `seq` (the line or message
 * number); `now` when no field gives a time; `textual` for input whose every
 * field is a string (CSV), where numbers are read from text.
 */
export function buildRecord(
  fields: Readonly<Record<string, unknown>>,
  mapping: FieldMapping,
  defaultSeq: number,
  now: number,
  textual: boolean,
): SensorRecord | Problem {
  const rawId = fields[fieldOf(mapping, "sensorId")];
  let sensorId: string;
  if (typeof rawId === "string" && rawId !== "") sensorId = rawId;
  else if (typeof rawId === "number" && Number.isFinite(rawId)) sensorId = String(rawId);
  else if (rawId === undefined || rawId === "")
    return { problem: `${named(mapping, "sensorId")} is missing`, errorType: "TypeError" };
  else return { problem: `${named(mapping, "sensorId")} must be a string, got ${kind(rawId)}`, errorType: "TypeError" };

  const rawValue = fields[fieldOf(mapping, "value")];
  let value: number;
  if (typeof rawValue === "number") value = rawValue;
  else if (rawValue === undefined || (textual && rawValue === "")) {
    return { problem: `${named(mapping, "value")} is missing`, errorType: "TypeError" };
  } else if (textual && typeof rawValue === "string") {
    value = Number(rawValue.trim());
    // "NaN" and "Infinity" are numbers a sensor may really send: the kernel makes them poison pills.
    if (Number.isNaN(value) && rawValue.trim() !== "NaN") {
      return {
        problem: `${named(mapping, "value")} is not a number: ${JSON.stringify(clip(rawValue))}`,
        errorType: "TypeError",
      };
    }
  } else {
    return { problem: `${named(mapping, "value")} must be a number, got ${kind(rawValue)}`, errorType: "TypeError" };
  }

  let seq = defaultSeq;
  if (mapping.seq !== undefined || fields.seq !== undefined) {
    const rawSeq = fields[fieldOf(mapping, "seq")];
    const parsed = typeof rawSeq === "string" && textual ? Number(rawSeq) : rawSeq;
    if (typeof parsed !== "number" || !Number.isSafeInteger(parsed) || parsed < 0) {
      return {
        problem: `${named(mapping, "seq")} must be a whole number >= 0, got ${JSON.stringify(clip(String(rawSeq)))}`,
        errorType: "TypeError",
      };
    }
    seq = parsed;
  }

  const timestamp = timeOf(fields, mapping, "timestamp", textual);
  const createdAt = timeOf(fields, mapping, "createdAt", textual);
  for (const time of [timestamp, createdAt]) if (typeof time === "object") return time;
  // Latency runs from `createdAt`: the time the record was read, unless a field says when it was made.
  const made = (createdAt as number | undefined) ?? now;
  return { sensorId, seq, value, timestamp: (timestamp as number | undefined) ?? made, createdAt: made };
}

/** Epoch ms from a number or a date string; undefined when no field gives it. */
function timeOf(
  fields: Readonly<Record<string, unknown>>,
  mapping: FieldMapping,
  role: "timestamp" | "createdAt",
  textual: boolean,
): number | undefined | Problem {
  const raw = fields[fieldOf(mapping, role)];
  if (raw === undefined || raw === "" || raw === null) return undefined;
  if (typeof raw === "number" && Number.isFinite(raw)) return raw;
  if (typeof raw === "string") {
    const asNumber = textual && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
    const ms = Number.isFinite(asNumber) ? asNumber : Date.parse(raw);
    if (Number.isFinite(ms)) return ms;
  }
  return {
    problem: `${named(mapping, role)} must be epoch milliseconds or a date, got ${JSON.stringify(clip(String(raw)))}`,
    errorType: "TypeError",
  };
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
