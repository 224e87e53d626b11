import { describe, expect, test } from "bun:test";
import * as kernels from "./index.ts";

describe("@poolstream/faults/kernels", () => {
  test("exports every kernel under its export name, addressed by this module", () => {
    const found = Object.entries(kernels).filter(([, value]) => typeof value === "function" && "kernel" in value) as [
      string,
      { kernel: { module: string; exportName: string } },
    ][];
    expect(found.map(([name]) => name).sort()).toEqual(["computeFaultTolerantBatch", "computeFaultTolerantColumnar"]);
    for (const [name, kernel] of found) {
      expect(kernel.kernel).toMatchObject({ module: "@poolstream/faults/kernels", exportName: name });
    }
  });
});
