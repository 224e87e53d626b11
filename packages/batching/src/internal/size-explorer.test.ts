import { describe, expect, test } from "bun:test";
import { SizeExplorer } from "./size-explorer.ts";

const explorer = () => new SizeExplorer({ initial: 10, min: 5, max: 200, stepFactor: 2, maxPatience: 4 });

describe("SizeExplorer", () => {
  test("probes upward first and keeps climbing while probes win", () => {
    const e = explorer();
    expect([e.size, e.kind]).toEqual([10, "base"]);
    expect(e.afterRound(10)).toBe(20); // only 10 was seen: probe
    expect(e.kind).toBe("probe");
    expect(e.afterRound(20)).toBe(40); // probe won: climb on at once
    expect(e.afterRound(40)).toBe(80);
    expect(e.afterRound(80)).toBe(160);
    expect(e.afterRound(160)).toBe(200); // 320 is clamped to 200
    expect(e.afterRound(200)).toBe(100); // at the bound: the only neighbour is below
    expect(e.base).toBe(200);
  });

  test("a losing probe turns the direction and makes the next probe wait, longer each time", () => {
    const e = explorer();
    e.afterRound(10); // probe 20
    expect(e.afterRound(10)).toBe(10); // 20 lost: back to base, wait 1 round
    expect(e.kind).toBe("base");
    expect(e.afterRound(10)).toBe(10);
    expect(e.afterRound(10)).toBe(5); // then probe the other way
    expect(e.afterRound(10)).toBe(10); // lost again: wait 2 rounds
    expect(e.afterRound(10)).toBe(10);
    expect(e.afterRound(10)).toBe(10);
    expect(e.afterRound(10)).toBe(20);
    expect(e.afterRound(10)).toBe(10); // wait 4 (the cap)
    for (let i = 0; i < 4; i++) expect(e.afterRound(10)).toBe(10);
    expect(e.afterRound(10)).toBe(5);
    expect(e.afterRound(10)).toBe(10); // still capped at 4
    for (let i = 0; i < 4; i++) expect(e.afterRound(10)).toBe(10);
    expect(e.kind).toBe("base");
  });

  test("clamps recommendations into [min, max] and does not explore when min equals max", () => {
    const e = explorer();
    e.afterRound(10);
    expect(e.afterRound(1000)).toBe(200); // a recommendation outside the range is clamped, then treated as a lost probe
    const fixed = new SizeExplorer({ initial: 50, min: 30, max: 30, stepFactor: 2, maxPatience: 4 });
    expect(fixed.size).toBe(30);
    expect(fixed.afterRound(30)).toBe(30);
    expect(fixed.kind).toBe("base");
  });
});
