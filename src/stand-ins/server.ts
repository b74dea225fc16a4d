// The HTTP plumbing every stand-in shares: loopback only, a request log, fault injection, an optional
// round-trip latency and request-rate limit, and a handler that gets the raw body. Each stand-in adds
// only its API's contract on top.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { type RateLimit, SlidingWindow } from "./rate-limit";

export type { RateLimit } from "./rate-limit";

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type FakeHandler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

/** Which requests a fault applies to; every request when absent. */
export type Match = (req: FakeRequest) => boolean;

/**
 * When a fault applies: to the first `times` matching requests (default 1), or, with `chance`, to
 * each matching request with that probability (drawn from the server's `random`), `times` at most
 * (default unlimited).
 */
interface Applies {
  match?: Match;
  times?: number;
  chance?: number;
}

export type Fault =
  /** Wait before answering. */
  | ({ kind: "latency"; ms: number } & Applies)
  /** Answer this status without processing (a 429 with `retryAfter` seconds, a 503...). */
  | ({ kind: "status"; status: number; retryAfter?: number; body?: string } & Applies)
  /** Close the socket without processing the request. */
  | ({ kind: "dropBefore" } & Applies)
  /** Process the request, then close the socket without answering: the client cannot tell. */
  | ({ kind: "dropAfter" } & Applies);

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  /** The status answered, or "dropped". */
  readonly outcome: number | "dropped";
  /** Set when the server's rate limit or an injected fault decided the outcome, not the API. */
  readonly fault?: "rateLimit" | "status" | "dropBefore" | "dropAfter";
  /**
   * Set when the request came to a method and path before the `Retry-After` this server answered
   * there had passed: a client that does not wait as told.
   */
  readonly early?: true;
}

/** How the network and the host's front door behave, the same for every fake (`network` in each fake's options). */
export interface NetworkOptions {
  /** Every answer (a 429 or an injected status included) is sent this many ms after the request arrived: a remote host's round trip. */
  latencyMs?: number;
  /** Requests beyond this rate are answered 429 with `Retry-After`, before faults and the API see them. */
  rateLimit?: RateLimit;
  /** The random source of faults with a `chance` (give a seeded one to reproduce a run). Default Math.random. */
  random?: () => number;
}

export interface FakeServerOptions extends NetworkOptions {
  port?: number;
}

export interface FakeServer {
  readonly url: string;
  readonly log: LoggedRequest[];
  /** Adds a fault; `times` defaults to 1 (unlimited with `chance`). */
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Requests that reached the handler and changed nothing but reads: everything but GET. */
  writes(): LoggedRequest[];
  /**
   * An outage: stops listening, so connections are refused (ECONNREFUSED) until
   * `acceptConnections()` listens again on the same port and URL. Open connections are cut.
   */
  refuseConnections(): Promise<void>;
  acceptConnections(): Promise<void>;
  /** Stops for good: the port is released. */
  close(): Promise<void>;
}

export async function startFakeServer(
  handler: FakeHandler,
  opts: FakeServerOptions = {},
): Promise<FakeServer> {
  const faults: Array<Fault & { left: number }> = [];
  const log: LoggedRequest[] = [];
  const random = opts.random ?? Math.random;
  const limiter = opts.rateLimit ? new SlidingWindow(opts.rateLimit) : undefined;
  const latencyMs = opts.latencyMs ?? 0;
  // Per method and path: when the last Retry-After answered there ends.
  const retryAt = new Map<string, number>();

  const take = (req: FakeRequest, kinds: Fault["kind"][]): (Fault & { left: number }) | undefined => {
    const i = faults.findIndex(
      (f) =>
        kinds.includes(f.kind) &&
        f.left > 0 &&
        (!f.match || f.match(req)) &&
        (f.chance === undefined || random() < f.chance),
    );
    if (i < 0) return undefined;
    const fault = faults[i]!;
    fault.left--;
    if (fault.left === 0) faults.splice(i, 1);
    return fault;
  };

  const server = http.createServer(async (raw, res) => {
    // The clock starts when the request arrives: the latency is the whole round trip, not a pause added after the work.
    const answerAt = Date.now() + latencyMs;
    const delayed = async () => {
      const wait = answerAt - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    };
    const chunks: Buffer[] = [];
    for await (const c of raw) chunks.push(c as Buffer);
    const u = new URL(raw.url ?? "/", "http://fake");
    const req: FakeRequest = {
      method: raw.method ?? "GET",
      path: u.pathname,
      query: u.searchParams,
      headers: raw.headers,
      body: Buffer.concat(chunks),
    };
    const route = `${req.method} ${req.path}`;
    const early = (retryAt.get(route) ?? 0) > Date.now();
    const record = (outcome: number | "dropped", fault?: LoggedRequest["fault"]) =>
      log.push({
        method: req.method,
        path: req.path,
        outcome,
        ...(fault ? { fault } : {}),
        ...(early ? { early: true as const } : {}),
      });
    const toldToWait = (seconds: number) => retryAt.set(route, Date.now() + seconds * 1000);

    const retryAfter = limiter?.admit(Date.now());
    if (retryAfter !== undefined) {
      await delayed();
      record(429, "rateLimit");
      toldToWait(retryAfter);
      res
        .writeHead(429, { "content-type": "text/plain", "retry-after": String(retryAfter) })
        .end("Rate limit exceeded");
      return;
    }

    const latency = take(req, ["latency"]);
    if (latency?.kind === "latency") await new Promise((r) => setTimeout(r, latency.ms));
    const before = take(req, ["status", "dropBefore"]);
    if (before?.kind === "dropBefore") {
      await delayed();
      record("dropped", "dropBefore");
      raw.socket.destroy();
      return;
    }
    if (before?.kind === "status") {
      await delayed();
      record(before.status, "status");
      const headers: Record<string, string> = { "content-type": "text/plain" };
      if (before.retryAfter !== undefined) {
        headers["retry-after"] = String(before.retryAfter);
        toldToWait(before.retryAfter);
      }
      res.writeHead(before.status, headers).end(before.body ?? http.STATUS_CODES[before.status] ?? "");
      return;
    }

    let out: FakeResponse;
    try {
      out = await handler(req);
    } catch (err) {
      out = { status: 500, body: `fake error: ${(err as Error).message}` };
    }
    await delayed();
    if (take(req, ["dropAfter"])) {
      record("dropped", "dropAfter");
      raw.socket.destroy();
      return;
    }
    record(out.status);
    res.writeHead(out.status, out.headers ?? {}).end(out.body ?? "");
  });
  // Fakes must never be reachable from another machine.
  const listen = (at: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(at, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen(opts.port ?? 0);
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    inject: (fault) =>
      faults.push({
        ...fault,
        left: fault.times ?? (fault.chance === undefined ? 1 : Number.POSITIVE_INFINITY),
      }),
    clearFaults: () => {
      faults.length = 0;
    },
    writes: () => log.filter((l) => l.method !== "GET"),
    refuseConnections: stop,
    acceptConnections: async () => {
      if (closed) throw new Error("the stand-in was closed; it cannot accept connections again");
      if (!server.listening) await listen(port);
    },
    close: async () => {
      closed = true;
      await stop();
    },
  };
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/** A plain-text answer. */
export function text(status: number, body: string): FakeResponse {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}
