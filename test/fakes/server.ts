// The HTTP plumbing every fake shares: loopback only, a request log, fault injection, and a
// handler that gets the raw body. Each fake adds only its API's contract on top.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

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

export type Fault =
  /** Wait before answering. */
  | { kind: "latency"; ms: number; match?: Match; times?: number }
  /** Answer this status without processing (a 429 with `retryAfter` seconds, a 503...). */
  | { kind: "status"; status: number; retryAfter?: number; body?: string; match?: Match; times?: number }
  /** Close the socket without processing the request. */
  | { kind: "dropBefore"; match?: Match; times?: number }
  /** Process the request, then close the socket without answering: the client cannot tell. */
  | { kind: "dropAfter"; match?: Match; times?: number };

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  /** The status answered, or "dropped". */
  readonly outcome: number | "dropped";
}

export interface FakeServer {
  readonly url: string;
  readonly log: LoggedRequest[];
  /** Adds a fault; `times` defaults to 1. */
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Requests that reached the handler and changed nothing but reads: everything but GET. */
  writes(): LoggedRequest[];
  close(): Promise<void>;
}

export async function startFakeServer(
  handler: FakeHandler,
  opts: { port?: number } = {},
): Promise<FakeServer> {
  const faults: Array<Fault & { left: number }> = [];
  const log: LoggedRequest[] = [];

  const take = (req: FakeRequest, kinds: Fault["kind"][]): (Fault & { left: number }) | undefined => {
    const i = faults.findIndex((f) => kinds.includes(f.kind) && f.left > 0 && (!f.match || f.match(req)));
    if (i < 0) return undefined;
    const fault = faults[i]!;
    fault.left--;
    if (fault.left === 0) faults.splice(i, 1);
    return fault;
  };

  const server = http.createServer(async (raw, res) => {
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
    const record = (outcome: number | "dropped") => log.push({ method: req.method, path: req.path, outcome });

    const latency = take(req, ["latency"]);
    if (latency?.kind === "latency") await new Promise((r) => setTimeout(r, latency.ms));
    const before = take(req, ["status", "dropBefore"]);
    if (before?.kind === "dropBefore") {
      record("dropped");
      raw.socket.destroy();
      return;
    }
    if (before?.kind === "status") {
      record(before.status);
      const headers: Record<string, string> = { "content-type": "text/plain" };
      if (before.retryAfter !== undefined) headers["retry-after"] = String(before.retryAfter);
      res.writeHead(before.status, headers).end(before.body ?? http.STATUS_CODES[before.status] ?? "");
      return;
    }

    let out: FakeResponse;
    try {
      out = await handler(req);
    } catch (err) {
      out = { status: 500, body: `fake error: ${(err as Error).message}` };
    }
    if (take(req, ["dropAfter"])) {
      record("dropped");
      raw.socket.destroy();
      return;
    }
    record(out.status);
    res.writeHead(out.status, out.headers ?? {}).end(out.body ?? "");
  });
  // Fakes must never be reachable from another machine.
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    inject: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    clearFaults: () => {
      faults.length = 0;
    },
    writes: () => log.filter((l) => l.method !== "GET"),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
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
