import { describe, expect, test } from "bun:test";
import { checkDurationMs, InvalidArgumentError, isDurationMs, MAX_DURATION_MS } from "./index.ts";

describe("durations", () => {
  test("a duration is a number of ms in (0, 2^31 - 1]; anything else is refused with a typed error naming the option", () => {
    for (const good of [0.5, 1, 30_000, MAX_DURATION_MS]) expect(checkDurationMs("timeoutMs", good)).toBe(good);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, "10" as unknown as number]) {
      expect(isDurationMs(bad)).toBe(false);
      expect(() => checkDurationMs("timeoutMs", bad)).toThrow(InvalidArgumentError);
      expect(() => checkDurationMs("timeoutMs", bad)).toThrow(/^timeoutMs must be/);
    }
  });
});
