/**
 * `GET /metrics` over HTTP (`Bun.serve`), for Prometheus to scrape. Listens
 * on 127.0.0.1 unless told otherwise: metrics say a lot about a system, and
 * exposing them beyond the machine is a choice to make on purpose.
 */
import { InvalidArgumentError } from "@poolstream/core";

/** What can be served: a text in Prometheus's format and its content type (a `PipelineMetrics`, or a registry). */
export interface MetricsSource {
  text?(): Promise<string>;
  metrics?(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly hostname?: string;
}

/** A running metrics endpoint; `stop()` (or `await using`) closes it. */
export interface MetricsServer extends AsyncDisposable {
  /** `http://host:port/metrics`. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export function serveMetrics(metrics: MetricsSource, options: MetricsServerOptions): MetricsServer {
  const read = metrics.text?.bind(metrics) ?? metrics.metrics?.bind(metrics);
  if (read === undefined)
    throw new InvalidArgumentError("serveMetrics needs a PipelineMetrics or a prom-client Registry");
  const { port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Bun.serve({
    port,
    hostname,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname !== "/metrics") return new Response("not found: the metrics are at /metrics\n", { status: 404 });
      if (request.method !== "GET" && request.method !== "HEAD") return new Response("GET only\n", { status: 405 });
      return new Response(await read(), { headers: { "content-type": metrics.contentType } });
    },
  });
  const actual = server.port ?? port;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= server.stop(true).then(() => undefined);
    return stopped;
  };
  return { url: `http://${hostname}:${actual}/metrics`, port: actual, stop, [Symbol.asyncDispose]: stop };
}
