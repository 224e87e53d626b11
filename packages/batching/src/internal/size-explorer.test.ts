import { describe, expect, test } from "bun:test";
import { SizeExplorer } from "./size-explorer.ts";

const explorer = () => new SizeExplorer({ initial: 10, min: 5, max: 200, stepFactor: 2, maxPatience: 4 });

describe("SizeExplorer", () => {
  test("probes upward first and climbs with a growing stride while probes win", () => {
    const e = explorer();
    expect([e.size, e.kind]).toEqual([10, "base"]);
    expect(e.afterRound(10)).toBe(20); // only 10 was seen: probe
    expect(e.kind).toBe("probe");
    expect(e.afterRound(20)).toBe(80); // won: climb on at once, stride 4 now
    expect(e.afterRound(80)).toBe(200); // stride 8: 640, clamped to 200
    expect(e.afterRound(200)).toBe(141); // against the bound: turn round with a short stride (√2)
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

  test("a tie that favours the smaller probe walks down from the bound", () => {
    const e = explorer();
    e.afterRound(10);
    e.afterRound(20);
    e.afterRound(80);
    expect(e.afterRound(200)).toBe(141);
    expect(e.afterRound(141)).toBe(50); // won going down: stride √2 × 2
    expect(e.afterRound(141)).toBe(141); // 50 lost
    expect(e.base).toBe(141);
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
