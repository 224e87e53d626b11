/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium`,
 * driven by playwright-core; `.ci/run` installs it when missing) loads the
 * page while a pipeline runs, and the test checks that the charts draw and
 * their figures move, that the figures shown equal the pipeline's `stats()`
 * of the snapshot the page last received, and that the page says "stopped"
 * when the server stops. Set POOLSTREAM_SCREENSHOT=<path> to keep a
 * screenshot (docs/dashboard.png was taken this way).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AdaptiveSizer } from "@poolstream/batching";
import { InProcessExecutor, InvalidArgumentError, objectTransport, type SensorRecord } from "@poolstream/core";
import { simulatedSensors } from "@poolstream/ingest";
import { pipeline } from "@poolstream/pipeline";
import { priorityLanes, priorityValueGenerator } from "@poolstream/priority";
import { type Browser, chromium } from "playwright-core";
import { DashboardFeed } from "../src/dashboard-feed.ts";
import { serveDashboard } from "../src/serve-dashboard.ts";
import { scoreRecords } from "./fixtures/score-kernel.ts";

function chromiumPath(): string {
  const found = Bun.which("chromium") ?? Bun.which("chromium-browser") ?? Bun.which("google-chrome");
  if (found === null) {
    throw new Error("the browser test needs Chromium (Debian/Ubuntu: apt-get install chromium); .ci/run installs it");
  }
  return found;
}

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox"] });
});
afterAll(async () => {
  await browser?.close();
});

describe("the dashboard in headless Chromium", () => {
  test("charts draw and move, the figures equal stats() of their snapshot, and the page says stopped when the server stops", async () => {
    const controller = new AbortController();
    const executor = new InProcessExecutor({ capacity: 4 });
    const run = pipeline({
      source: simulatedSensors({ count: 8, intervalMs: 5, seed: 3, valueGenerator: priorityValueGenerator(0.2) }),
      executor,
      transport: objectTransport(scoreRecords),
      lanes: priorityLanes({ capacity: 200 }),
      sizer: new AdaptiveSizer(),
    });
    const running = run.run(controller.signal);
    const feed = new DashboardFeed(run, executor);
    const dashboard = await serveDashboard(feed, { port: 0, intervalMs: 200, title: "poolstream test run" });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(dashboard.url);
      await page.waitForFunction(() => Number(document.body.dataset.seq) > 3, undefined, { timeout: 10_000 });
      expect(await page.textContent("#status")).toBe("live");
      // Four charts, each a uPlot canvas with something drawn on it (pixels that are not blank).
      const drawn = await page.$$eval("canvas", (canvases) =>
        canvases.map((canvas) => {
          const c = canvas as HTMLCanvasElement;
          const pixels = (c.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
          let ink = 0;
          for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] as number) > 0) ink++;
          return ink;
        }),
      );
      expect(drawn).toHaveLength(4);
      for (const ink of drawn) expect(ink).toBeGreaterThan(100);
      // Lanes in their colours, units on the axes.
      const legend = await page.textContent("#chart-latency");
      expect(legend).toContain("CRITICAL p50");
      expect(legend).toContain("NORMAL p99");
      expect(await page.textContent("#chart-rate")).toContain("(records/s)");
      expect(await page.textContent("#chart-latency")).toContain("(ms)");

      // The figures move...
      const firstResults = Number((await page.textContent('[data-field="results"]'))?.replace(/,/g, ""));
      await page.waitForFunction(
        (before) => Number(document.querySelector('[data-field="results"]')?.textContent?.replace(/,/g, "")) > before,
        firstResults,
        { timeout: 10_000 },
      );
      // ...and are stats() of the snapshot the page shows: read the page and its snapshot's number at once.
      const shown = await page.evaluate(() => ({
        seq: Number(document.body.dataset.seq),
        fields: Object.fromEntries(
          [...document.querySelectorAll<HTMLElement>("[data-field]")].map((e) => [e.dataset.field, e.textContent]),
        ),
      }));
      const snapshot = feed.snapshotAt(shown.seq);
      expect(snapshot).toBeDefined();
      const number = (n: number) => new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }).format(n);
      for (const field of [
        "entered",
        "results",
        "errorRecords",
        "poisonPills",
        "deadLetters",
        "inFlight",
        "batchSize",
      ]) {
        expect(shown.fields[field]).toBe(number(snapshot?.[field as "results"] as number));
      }
      expect(snapshot?.results).toBeGreaterThan(0);

      const screenshot = process.env.POOLSTREAM_SCREENSHOT;
      if (screenshot !== undefined && screenshot !== "") {
        await Bun.sleep(15_000); // a picture with some history in its charts
        await page.screenshot({ path: screenshot, fullPage: true });
      }

      // The server stops: the page says so, and keeps its charts.
      controller.abort();
      await running;
      await dashboard.stop();
      await page.waitForFunction(
        () => document.getElementById("status")?.textContent?.startsWith("stopped"),
        undefined,
        {
          timeout: 10_000,
        },
      );
      expect(await page.$$eval("canvas", (canvases) => canvases.length)).toBe(4);
      expect(await page.textContent('[data-field="results"]')).not.toBe("–");
    } finally {
      await page.close();
      controller.abort();
      await dashboard.stop();
      await running.catch(() => undefined);
    }
  }, 60_000);

  test("a page open when its server is killed with SIGKILL (no goodbye) says stopped, not blank", async () => {
    const child = Bun.spawn(["bun", new URL("./fixtures/serve.ts", import.meta.url).pathname], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const page = await browser.newPage();
    try {
      const url = new TextDecoder().decode((await child.stdout.getReader().read()).value).trim();
      await page.goto(url);
      await page.waitForFunction(() => Number(document.body.dataset.seq) > 2, undefined, { timeout: 10_000 });
      child.kill("SIGKILL");
      await child.exited;
      await page.waitForFunction(
        () => document.getElementById("status")?.textContent?.startsWith("stopped: the server cannot be reached"),
        undefined,
        { timeout: 10_000 },
      );
      // What it showed stays (not a blank page, and nothing changes any more).
      const shown = await page.textContent('[data-field="entered"]');
      expect(Number(shown?.replace(/,/g, ""))).toBeGreaterThan(0);
      await Bun.sleep(500);
      expect(await page.textContent('[data-field="entered"]')).toBe(shown);
      expect(await page.$$eval("canvas", (canvases) => canvases.length)).toBe(4);
    } finally {
      child.kill("SIGKILL");
      await page.close();
    }
  }, 30_000);

  test("a remote executor's nodes are listed: name, batches, redeliveries, seen lately", async () => {
    const executor = new InProcessExecutor();
    const run = pipeline({
      source: [{ sensorId: "a", value: 1, timestamp: Date.now(), createdAt: Date.now(), seq: 1 }] as SensorRecord[],
      executor,
      transport: objectTransport(scoreRecords),
    });
    await run.run();
    // The stats a JetStream executor adds to an executor's: its nodes.
    const remote = Object.assign(Object.create(executor) as InProcessExecutor, {
      stats: () => ({
        ...executor.stats(),
        nodes: [
          { node: "node-a", batches: 1234, redeliveries: 2, alive: true, threads: 2 },
          { node: "node-b", batches: 987, redeliveries: 0, alive: false, threads: 2 },
        ],
      }),
    });
    const dashboard = await serveDashboard(new DashboardFeed(run, remote), { port: 0, intervalMs: 100 });
    const page = await browser.newPage();
    try {
      await page.goto(dashboard.url);
      await page.waitForFunction(() => !document.getElementById("nodes")?.hidden, undefined, { timeout: 10_000 });
      const rows = await page.$$eval("#nodes tbody tr", (trs) =>
        trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
      );
      expect(rows).toEqual([
        ["node-a", "1,234", "2", "yes"],
        ["node-b", "987", "0", "no"],
      ]);
    } finally {
      await page.close();
      await dashboard.stop();
    }
  }, 30_000);

  test("a port already taken: serveDashboard rejects and leaves nothing running (the feed stops listening)", async () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    let listening = 0;
    const stats = {
      state: "running",
      elapsedMs: 0,
      lanes: [],
      inFlight: 0,
      batchSize: 1,
      throughputPerSec: 0,
      counters: { batchesCut: 0, batchesCompleted: 0, failedCalls: 0, recoveries: 0 },
      accounting: {
        entered: 0,
        results: 0,
        errorRecords: 0,
        poisonPills: 0,
        deadLetters: 0,
        unwritten: 0,
        leftInLanes: 0,
        holds: true,
      },
    };
    const fed = {
      stats: () => stats as never,
      on: () => {
        listening++;
        return () => {
          listening--;
        };
      },
    };
    try {
      const feed = new DashboardFeed(fed as never);
      expect(listening).toBe(1);
      await expect(serveDashboard(feed, { port: taken.port })).rejects.toThrow();
      expect(listening).toBe(0);
    } finally {
      taken.stop(true);
    }
  });

  test("options are checked", async () => {
    const run = pipeline({
      source: [] as SensorRecord[],
      executor: new InProcessExecutor(),
      transport: objectTransport(scoreRecords),
    });
    const feed = new DashboardFeed(run);
    await expect(serveDashboard(feed, { port: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(serveDashboard(feed, { port: 0, intervalMs: 50 })).rejects.toBeInstanceOf(InvalidArgumentError);
    feed.close();
  });
});
