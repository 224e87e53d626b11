/**
 * The README's library example, pasted as the README shows it: its two code
 * blocks are written to files and run as a program, which must exit by
 * itself (nothing left running) with every record accounted for.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
// Inside the repository, so that the example's imports of @poolstream/* resolve as they would in a user's project.
const dir = mkdtempSync(join(import.meta.dir, "..", ".readme-example-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ```ts block of the README whose first line names `file`. */
function block(file: string): string {
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  const found = blocks.find((code) => code.startsWith(`// ${file}`));
  if (found === undefined) throw new Error(`the README has no \`\`\`ts block starting with "// ${file}"`);
  return found;
}

describe("the README's library example", () => {
  test("runs as pasted, exits on its own, and accounts for every record", () => {
    writeFileSync(join(dir, "kernels.ts"), block("kernels.ts"));
    writeFileSync(join(dir, "main.ts"), block("main.ts"));
    const child = Bun.spawnSync(["bun", "main.ts"], {
      cwd: dir,
      stdout: "pipe",
      stderr: "pipe",
      timeout: 60_000,
      killSignal: "SIGKILL",
    });
    const stdout = child.stdout.toString();
    expect(child.stderr.toString()).toBe("");
    expect(child.exitCode).toBe(0);
    expect(stdout).toMatch(/^CRITICAL: \d+ records, p99 [\d.]+ ms$/m);
    expect(stdout).toMatch(/^NORMAL: \d+ records, p99 [\d.]+ ms$/m);
    expect(stdout).toContain("every record accounted for: true");
    const delivered = [...stdout.matchAll(/^\w+: (\d+) records/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(delivered).toBe(10_000);
  }, 90_000);
});
