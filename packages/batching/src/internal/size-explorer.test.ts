import { describe, expect, test } from "bun:test";
import { SizeExplorer } from "./size-explorer.ts";

const explorer = () => new SizeExplorer({ initial: 10, min: 5, max: 200, stepFactor: 2, maxPatience: 4 });
/** Costs per record by size, as the monitor would report them. */
const costs = (table: Record<number, number>) => (size: number) => table[size];

describe("SizeExplorer", () => {
  test("probes upward first and climbs with a growing stride while probes are cheaper", () => {
    const e = explorer();
    expect([e.size, e.kind]).toEqual([10, "base"]);
    expect(e.afterRound(10)).toBe(20); // only 10 was seen: probe
    expect(e.kind).toBe("probe");
    expect(e.afterRound(20, costs({ 10: 2, 20: 1 }))).toBe(80); // cheaper: climb on at once, stride 4
    expect(e.afterRound(80, costs({ 20: 1, 80: 0.5 }))).toBe(200); // stride 8: 640, clamped to 200
    expect(e.afterRound(200, costs({ 80: 0.5, 200: 0.3 }))).toBe(167); // against the bound: back by the shortest step
    expect(e.base).toBe(200);
  });

  test("a losing probe turns round, shortens the stride and makes the next probe wait longer", () => {
    const e = explorer();
    e.afterRound(10); // probe 20
    expect(e.afterRound(10)).toBe(10); // 20 lost: stay, wait 1 round
    expect(e.kind).toBe("base");
    expect(e.afterRound(10)).toBe(10);
    expect(e.afterRound(10)).toBe(7); // the other way, stride √2
    expect(e.afterRound(10)).toBe(10); // lost again: wait 2 rounds
    expect(e.afterRound(10)).toBe(10);
    expect(e.afterRound(10)).toBe(10);
    expect(e.afterRound(10)).toBe(12); // stride 1.2 (the shortest)
    expect(e.afterRound(10)).toBe(10); // wait 4 (the cap)
    for (let i = 0; i < 4; i++) expect(e.afterRound(10)).toBe(10);
    expect(e.afterRound(10)).toBe(8);
    expect(e.afterRound(10)).toBe(10); // still capped at 4
    for (let i = 0; i < 4; i++) expect(e.afterRound(10)).toBe(10);
    expect(e.kind).toBe("base");
  });

  test("a probe that only ties is taken for being smaller, then checked against the larger size", () => {
    const e = explorer();
    e.afterRound(10);
    e.afterRound(20, costs({ 10: 2, 20: 1 }));
    e.afterRound(80, costs({ 20: 1, 80: 0.5 }));
    expect(e.afterRound(200, costs({ 80: 0.5, 200: 0.3 }))).toBe(167);
    // 167 costs a little more than 200, within the tolerance: the monitor recommends it.
    expect(e.afterRound(167, costs({ 167: 0.31, 200: 0.3 }))).toBe(167);
    expect(e.base).toBe(167);
    expect(e.kind).toBe("base"); // settles instead of probing further down at once
    expect(e.afterRound(167)).toBe(167);
    expect(e.afterRound(167)).toBe(200); // after the wait, a look back at the size it tied with
    // The tie was noise: 200 is clearly cheaper and the monitor recommends it; back to 200.
    expect(e.afterRound(200, costs({ 167: 0.36, 200: 0.3 }))).toBe(167); // at the bound, so it looks below at once
    expect(e.base).toBe(200);
  });

  test("a real tie holds against the look back, and the search goes on downwards", () => {
    const e = explorer();
    e.afterRound(10);
    e.afterRound(20, costs({ 10: 2, 20: 1 }));
    e.afterRound(80, costs({ 20: 1, 80: 0.5 }));
    e.afterRound(200, costs({ 80: 0.5, 200: 0.3 })); // probe 167
    e.afterRound(167, costs({ 167: 0.3, 200: 0.3 })); // tie: 167
    e.afterRound(167); // wait
    expect(e.afterRound(167)).toBe(200); // look back
    expect(e.afterRound(167, costs({ 167: 0.3, 200: 0.3 }))).toBe(167); // the monitor keeps the smaller: 200 lost
    const next: number[] = [];
    for (let i = 0; i < 6; i++) next.push(e.afterRound(167));
    expect(next.find((size) => size !== 167)).toBe(139); // after the wait, lower
  });

  test("clamps recommendations into [min, max] and does not explore when min equals max", () => {
    const e = explorer();
    e.afterRound(10);
    expect(e.afterRound(1000)).toBe(200); // clamped, and a lost probe
    const fixed = new SizeExplorer({ initial: 50, min: 30, max: 30, stepFactor: 2, maxPatience: 4 });
    expect(fixed.size).toBe(30);
    expect(fixed.afterRound(30)).toBe(30);
    expect(fixed.kind).toBe("base");
  });
});
