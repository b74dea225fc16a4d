// The relay's two listeners: the main one (deliveries, /healthz, /readyz), whose requests in
// progress are tracked so that shutdown can let them finish, and the optional admin one
// (Prometheus /metrics).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listen } from "./listen";
import type { RelayMetrics } from "./metrics";

/** Node's limit on a whole request; a large body at the lowest allowed rate is ended sooner by the rate watch. */
const REQUEST_TIMEOUT_MS = 60_000;

export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface RelayServers {
  /** Listens on both addresses; resolves with their URLs. On failure both servers are closed. */
  listen(main: Address, admin: Address | undefined): Promise<{ url: string; adminUrl: string | undefined }>;
  /**
   * Stops taking connections and lets the requests in progress finish until `deadline` (ms since
   * the epoch): their deliveries are stored and acknowledged. Past it the remaining connections are
   * cut (nothing they sent was acknowledged, so their code hosts send it again).
   */
  closeMain(deadline: number): Promise<void>;
  closeAdmin(): Promise<void>;
}

export function createServers(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  {
    metrics,
    maxConnections,
    admin: withAdmin,
  }: { metrics: RelayMetrics; maxConnections: number; admin: boolean },
): RelayServers {
  const inflight = new Set<Promise<void>>();
  const main = createServer((req, res) => {
    // Tracked so shutdown waits for every delivery already being stored and answered.
    const done = new Promise<void>((resolve) => res.once("close", resolve));
    inflight.add(done);
    void done.then(() => inflight.delete(done));
    handler(req, res);
  });
  main.requestTimeout = REQUEST_TIMEOUT_MS;
  // Sockets beyond the cap are closed as they are accepted, before any byte is read.
  main.maxConnections = maxConnections;
  main.on("drop", () => metrics.rejected.inc({ reason: "connection_cap" }));
  const admin = withAdmin ? createMetricsServer(metrics) : undefined;

  return {
    async listen(mainAt, adminAt) {
      try {
        const url = await listen(main, mainAt, "main");
        const adminUrl = admin && adminAt ? await listen(admin, adminAt, "admin") : undefined;
        return { url, adminUrl };
      } catch (err) {
        main.close();
        admin?.close();
        throw err;
      }
    },
    async closeMain(deadline) {
      const stopped = new Promise<void>((r) => main.close(() => r()));
      main.closeIdleConnections();
      // server.close() also stops Node's request timeouts, so a client that never finishes its
      // request would hold the shutdown forever: hence the deadline.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inflight]),
        new Promise<void>((r) => {
          timer = setTimeout(r, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
      main.closeAllConnections();
      await stopped;
    },
    async closeAdmin() {
      if (!admin) return;
      await new Promise<void>((r) => admin.close(() => r()));
      admin.closeAllConnections();
    },
  };
}

function createMetricsServer(metrics: RelayMetrics): Server {
  return createServer(async (req, res) => {
    if ((req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("404 page not found\n");
      return;
    }
    try {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
}
