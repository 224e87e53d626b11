/**
 * The body of a batch or a result on the wire: tagged JSON (the dead-letter
 * store's encoding, so NaN, ±Infinity, -0 and the rest survive) with every
 * ArrayBuffer set aside and sent as raw bytes after it. A columnar batch is
 * therefore its one buffer of columns plus a few dozen bytes of JSON naming
 * the views: no number of a column is ever written as text.
 *
 * Layout (little-endian):
 *   "PSW1" | u32 buffer count k | u32 JSON length j | k × u32 buffer lengths |
 *   JSON (j bytes) | padding to 8 | each buffer, padded to 8
 * The padding keeps every buffer 8-aligned in the message, so reading one
 * back is a single copy.
 */
import { decodeTaggedJson, encodeTaggedJson, InvalidArgumentError, MalformedMessageError } from "@poolstream/core";

const MAGIC = 0x31575350; // "PSW1" read as a little-endian u32
const HEADER_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const padded = (bytes: number): number => Math.ceil(bytes / 8) * 8;

/** Encodes `value` as a wire body. Never throws for a hostile value: what cannot be sent is described, as in the store. */
export function encodeWireBody(value: unknown): Uint8Array {
  const buffers: ArrayBufferLike[] = [];
  const json = encoder.encode(encodeTaggedJson(value, buffers));
  const tableEnd = HEADER_BYTES + 4 * buffers.length;
  const jsonEnd = tableEnd + json.byteLength;
  let total = padded(jsonEnd);
  for (const buffer of buffers) total += padded(buffer.byteLength);
  const body = new Uint8Array(total);
  const header = new DataView(body.buffer);
  header.setUint32(0, MAGIC, true);
  header.setUint32(4, buffers.length, true);
  header.setUint32(8, json.byteLength, true);
  buffers.forEach((buffer, i) => {
    header.setUint32(HEADER_BYTES + 4 * i, buffer.byteLength, true);
  });
  body.set(json, tableEnd);
  let at = padded(jsonEnd);
  for (const buffer of buffers) {
    body.set(new Uint8Array(buffer), at);
    at += padded(buffer.byteLength);
  }
  return body;
}

/**
 * The value `encodeWireBody` wrote. Throws `MalformedMessageError` for bytes
 * that are not a wire body: another format, truncated, or JSON naming a
 * buffer or range that is not there.
 */
export function decodeWireBody(body: Uint8Array): unknown {
  if (body.byteLength < HEADER_BYTES)
    throw new MalformedMessageError(`a wire body of ${body.byteLength} bytes is too short`);
  const header = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (header.getUint32(0, true) !== MAGIC) throw new MalformedMessageError("not a poolstream wire body (no PSW1 mark)");
  const count = header.getUint32(4, true);
  const jsonLength = header.getUint32(8, true);
  const tableEnd = HEADER_BYTES + 4 * count;
  if (tableEnd > body.byteLength)
    throw new MalformedMessageError(`a wire body truncated in its table of ${count} buffers`);
  const jsonEnd = tableEnd + jsonLength;
  if (jsonEnd > body.byteLength) throw new MalformedMessageError("a wire body truncated in its JSON");
  const buffers: ArrayBuffer[] = [];
  let at = padded(jsonEnd);
  for (let i = 0; i < count; i++) {
    const length = header.getUint32(HEADER_BYTES + 4 * i, true);
    if (at + length > body.byteLength) {
      throw new MalformedMessageError(`a wire body truncated in buffer ${i + 1} of ${count}`);
    }
    // Copied into a buffer of its own (not `body.slice`: on a Node Buffer that is a view of a shared pool).
    const copy = new Uint8Array(length);
    copy.set(body.subarray(at, at + length));
    buffers.push(copy.buffer);
    at += padded(length);
  }
  let text: string;
  try {
    text = decoder.decode(body.subarray(tableEnd, jsonEnd));
  } catch {
    throw new MalformedMessageError("a wire body whose JSON is not UTF-8");
  }
  try {
    return decodeTaggedJson(text, buffers);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new MalformedMessageError(`a wire body ${error.message}`);
    throw error;
  }
}
