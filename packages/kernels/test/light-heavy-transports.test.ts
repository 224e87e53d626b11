import { describe, expect, test } from "bun:test";
import type { SensorRecord } from "@poolstream/core";
import { heavyScore, lightScore, scoreValues } from "../src/light-heavy.ts";
import { lightHeavyTransport } from "../src/light-heavy-transports.ts";

describe("lightHeavyTransport", () => {
  const batch: SensorRecord[] = Array.from({ length: 40 }, (_, i) => ({
    sensorId: `s${i % 3}`,
    seq: i,
    value: (i - 20) * 1.37,
    timestamp: i,
    createdAt: i,
  }));
  const values = batch.map((r) => r.value);
  for (const [kernel, score] of [
    ["light", lightScore],
    ["heavy", heavyScore],
  ] as const) {
    for (const wire of ["objects", "columnar"] as const) {
      test(`${kernel} over ${wire}: the kernel's scores, in order`, () => {
        const transport = lightHeavyTransport(kernel, wire);
        expect(transport.name).toBe(wire);
        // In-process, the path a Worker would take: encode, run the kernel, decode.
        const run = transport as {
          encode(b: typeof batch): { input: unknown };
          kernel(input: unknown): Float64Array;
          decode(out: Float64Array, b: typeof batch): Float64Array;
        };
        const output = run.decode(run.kernel(run.encode(batch).input), batch);
        expect(Array.from(output)).toEqual(Array.from(scoreValues(values, score)));
      });
    }
  }
});
