import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Deque } from "./deque.ts";

describe("Deque", () => {
  test("property: behaves like an array used at both ends", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), value: fc.integer() }),
      fc.record({ kind: fc.constant("unshift" as const), value: fc.integer() }),
      fc.record({ kind: fc.constant("shift" as const) }),
      fc.record({ kind: fc.constant("remove" as const), value: fc.integer({ min: 0, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const deque = new Deque<number>();
        const model: number[] = [];
        for (const o of ops) {
          if (o.kind === "push") {
            deque.push(o.value);
            model.push(o.value);
          } else if (o.kind === "unshift") {
            deque.unshift(o.value);
            model.unshift(o.value);
          } else if (o.kind === "shift") {
            expect(deque.shift()).toBe(model.shift());
          } else {
            const index = model.indexOf(o.value);
            expect(deque.remove(o.value)).toBe(index >= 0);
            if (index >= 0) model.splice(index, 1);
          }
          expect(deque.length).toBe(model.length);
          expect(deque.peek()).toBe(model[0]);
        }
        expect(deque.drain()).toEqual(model);
        expect(deque.length).toBe(0);
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});
