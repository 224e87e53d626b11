import { describe, expect, test } from "bun:test";
import { allocateColumnarBatch, MalformedMessageError } from "@poolstream/core";
import { decodeWireBody, encodeWireBody } from "./wire-body.ts";

describe("wire body", () => {
  test("a columnar batch is its buffer as bytes plus a little JSON; its views share one buffer again", () => {
    const batch = allocateColumnarBatch(500);
    for (let i = 0; i < 500; i++) {
      batch.value[i] = i === 7 ? Number.NaN : i * 1.25;
      batch.sensor[i] = i % 13;
    }
    const body = encodeWireBody(batch);
    // The columns travel as bytes: the body is the buffer (37 bytes a record) and a small header.
    expect(body.byteLength).toBeLessThan(batch.buffer.byteLength + 600);
    const back = decodeWireBody(body) as typeof batch;
    expect(back.length).toBe(500);
    expect(back.value.buffer).toBe(back.buffer);
    expect(back.sensor.buffer).toBe(back.buffer);
    expect(Number.isNaN(back.value[7])).toBe(true);
    expect(back.value[499]).toBe(623.75);
    expect(back.sensor[25]).toBe(12);
  });

  test("a body read from a Buffer (as the NATS client gives it) is read at its own offset", () => {
    const body = encodeWireBody({ xs: new Float64Array([1, 2, 3]) });
    const pooled = Buffer.alloc(body.byteLength + 13);
    pooled.set(body, 13);
    const back = decodeWireBody(pooled.subarray(13)) as { xs: Float64Array };
    expect([...back.xs]).toEqual([1, 2, 3]);
    expect(back.xs.buffer.byteLength).toBe(24);
  });

  test("not a body, a truncated one, or one naming a buffer it lacks is a MalformedMessageError", () => {
    const body = encodeWireBody({ xs: new Float64Array(64), note: "n" });
    expect(() => decodeWireBody(new TextEncoder().encode("not a batch at all"))).toThrow(/no PSW1 mark/);
    expect(() => decodeWireBody(body.subarray(0, 5))).toThrow(MalformedMessageError);
    for (const cut of [14, 30, body.byteLength - 1]) {
      expect(() => decodeWireBody(body.subarray(0, cut))).toThrow(MalformedMessageError);
    }
    const wrongCount = body.slice();
    new DataView(wrongCount.buffer).setUint32(4, 0, true);
    expect(() => decodeWireBody(wrongCount)).toThrow(MalformedMessageError);
  });

  test("a tag with the wrong payload is a MalformedMessageError too, never a TypeError or SyntaxError", () => {
    const encoder = new TextEncoder();
    for (const json of [
      '{"$poolstream":"Map","v":5}',
      '{"$poolstream":"bigint:xyz"}',
      '{"$poolstream":7}',
      '{"$poolstream":"Error","v":null}',
    ]) {
      const text = encoder.encode(json);
      const body = new Uint8Array(16 + text.byteLength);
      const view = new DataView(body.buffer);
      view.setUint32(0, 0x31575350, true);
      view.setUint32(4, 0, true);
      view.setUint32(8, text.byteLength, true);
      body.set(text, 12);
      expect(() => decodeWireBody(body)).toThrow(MalformedMessageError);
    }
  });
});
