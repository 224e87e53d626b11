/**
 * The live dashboard over HTTP (`Bun.serve`): `/` is the page, `/app.js` its
 * script (bundled from `client/app.ts` with uPlot by `Bun.build` when the
 * server starts: nothing comes from a CDN, so it works offline), `/uplot.css`
 * uPlot's styles, `/events` a server-sent event stream with a snapshot every
 * `intervalMs` (at most a few a second), and `/snapshot` the latest one as
 * JSON. Stopping tells every open page ("stopped" event) before it closes,
 * so a page says the run has ended instead of going blank.
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "@poolstream/core";
import type { DashboardFeed, DashboardSnapshot } from "./dashboard-feed.ts";
import { dashboardPage } from "./dashboard-page.ts";

export interface DashboardOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1: a dashboard shows a system's state; opening it wider is a choice. */
  readonly hostname?: string;
  /** Time between snapshots, ms: from 100 to 10,000. Default 500. */
  readonly intervalMs?: number;
  /** The page's title. Default "poolstream". */
  readonly title?: string;
}

/** A running dashboard; `stop()` (or `await using`) ends it. */
export interface DashboardServer extends AsyncDisposable {
  /** `http://host:port/`. */
  readonly url: string;
  readonly port: number;
  /** The latest snapshot sent. */
  latest(): DashboardSnapshot | undefined;
  /** Tells open pages the run has stopped, then closes. Idempotent. */
  stop(): Promise<void>;
}

/** Builds the page's script once per process: a fraction of a second, at the first dashboard. */
let clientScript: Promise<string> | undefined;
function buildClient(): Promise<string> {
  clientScript ??= (async () => {
    const built = await Bun.build({
      entrypoints: [new URL("./client/app.ts", import.meta.url).pathname],
      target: "browser",
      minify: true,
    });
    const [script] = built.outputs;
    if (!built.success || script === undefined) {
      throw new Error(`the dashboard's script did not build: ${built.logs.map(String).join("; ")}`);
    }
    return script.text();
  })();
  return clientScript;
}

export async function serveDashboard(feed: DashboardFeed, options: DashboardOptions): Promise<DashboardServer> {
  const { port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  const intervalMs = options.intervalMs ?? 500;
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 10_000) {
    throw new InvalidArgumentError(`intervalMs must be an integer from 100 to 10,000, got ${intervalMs}`);
  }
  const hostname = options.hostname ?? "127.0.0.1";
  const script = await buildClient();
  const css = readFileSync(Bun.fileURLToPath(import.meta.resolve("uplot/dist/uPlot.min.css")), "utf8");
  const page = dashboardPage(options.title ?? "poolstream", intervalMs);
  const encoder = new TextEncoder();
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let latest: DashboardSnapshot | undefined = feed.snapshot();
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, text: string): void => {
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      streams.delete(controller); // the page went away
    }
  };
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = listen();
  } catch (error) {
    // Nothing started is left behind: the feed stops listening to the pipeline.
    feed.close();
    throw error;
  }
  // From here on the dashboard owns the feed: stop() closes it.
  const ticker = setInterval(() => {
    latest = feed.snapshot();
    const message = `data: ${JSON.stringify(latest)}\n\n`;
    for (const controller of streams) send(controller, message);
  }, intervalMs);
  function listen(): ReturnType<typeof Bun.serve> {
    return Bun.serve({
      port,
      hostname,
      // An event stream stays open for as long as the page does.
      idleTimeout: 0,
      fetch(request) {
        const { pathname } = new URL(request.url);
        switch (pathname) {
          case "/":
            return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
          case "/app.js":
            return new Response(script, { headers: { "content-type": "text/javascript; charset=utf-8" } });
          case "/uplot.css":
            return new Response(css, { headers: { "content-type": "text/css; charset=utf-8" } });
          case "/snapshot":
            return Response.json(latest ?? null);
          case "/events": {
            let mine: ReadableStreamDefaultController<Uint8Array> | undefined;
            const stream = new ReadableStream<Uint8Array>({
              start(controller) {
                mine = controller;
                streams.add(controller);
                // The page draws at once, then every interval; it reconnects after a second if cut off.
                send(controller, `retry: 1000\n\n`);
                if (latest !== undefined) send(controller, `data: ${JSON.stringify(latest)}\n\n`);
              },
              cancel() {
                if (mine !== undefined) streams.delete(mine);
              },
            });
            return new Response(stream, {
              headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
            });
          }
          default:
            return new Response("not found\n", { status: 404 });
        }
      },
    });
  }
  const actual = server.port ?? port;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      clearInterval(ticker);
      latest = feed.snapshot();
      const last = `data: ${JSON.stringify(latest)}\n\nevent: stopped\ndata: {}\n\n`;
      for (const controller of streams) {
        send(controller, last);
        try {
          controller.close();
        } catch {
          // already closed by the page
        }
      }
      streams.clear();
      feed.close();
      await server.stop(true);
    })();
    return stopped;
  };
  return {
    url: `http://${hostname}:${actual}/`,
    port: actual,
    latest: () => latest,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
