// Proves the HTTP layer retries only what is safe, after Retry-After, and names the fix without secrets.
// Backoff with full jitter; 429 and 502-504 retried on idempotent requests; a POST whose connection
// dropped is never replayed; each attempt times out.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  AmbiguousRequestError,
  backoffDelay,
  ConnectionError,
  retryAfterMs,
  send,
} from "../../providers/http";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;
const servers: http.Server[] = [];

async function serve(handler: Handler): Promise<{ url: string; hits: () => number }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    req.resume();
    req.on("end", () => handler(req, res, n));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => n };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const fast = { attempts: 4, baseMs: 5, maxDelayMs: 2_000 };

describe("backoff", () => {
  it("grows exponentially under full jitter and never exceeds the cap", () => {
    expect(backoffDelay(0, fast, () => 0.999)).toBe(4);
    expect(backoffDelay(3, fast, () => 0.999)).toBe(39);
    expect(backoffDelay(30, fast, () => 0.999)).toBe(1_998);
  });

  it("reads Retry-After as seconds or an HTTP date, and GitLab's RateLimit-Reset", () => {
    expect(retryAfterMs({ "retry-after": "2" })).toBe(2_000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }, now)).toBe(3_000);
    expect(retryAfterMs({ "ratelimit-reset": String(now / 1000 + 5) }, now)).toBe(5_000);
    expect(retryAfterMs({})).toBeUndefined();
  });
});

describe("send", () => {
  it("retries 429 after the server's Retry-After, then succeeds", async () => {
    const times: number[] = [];
    const api = await serve((_q, res, n) => {
      times.push(Date.now());
      if (n === 1) {
        res.writeHead(429, { "retry-after": "1" }).end("slow down");
      } else res.writeHead(200).end("ok");
    });
    const res = await send({ method: "GET", url: `${api.url}/x`, service: "Test", backoff: fast });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
  });

  it("retries 502, 503 and 504 on idempotent requests and gives up after the last attempt", async () => {
    const api = await serve((_q, res) => res.writeHead(503).end());
    const res = await send({ method: "GET", url: api.url, service: "Test", backoff: fast });
    expect(res.status).toBe(503);
    expect(api.hits()).toBe(4);
  });

  it("never retries another 4xx", async () => {
    const api = await serve((_q, res) => res.writeHead(401).end("bad token"));
    const res = await send({ method: "GET", url: api.url, service: "Test", backoff: fast });
    expect(res.status).toBe(401);
    expect(api.hits()).toBe(1);
  });

  it("does not replay a POST whose connection dropped: the caller must look before retrying", async () => {
    const api = await serve((req) => req.socket.destroy());
    const err = await send({
      method: "POST",
      url: api.url,
      body: "{}",
      service: "Test",
      backoff: fast,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AmbiguousRequestError);
    expect(api.hits()).toBe(1);
    // What the socket said is kept as the standard `cause`.
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.url).toBe(`${api.url}/`);
  });

  it("replays an idempotent request whose connection dropped", async () => {
    const api = await serve((req, res, n) => (n < 3 ? req.socket.destroy() : res.writeHead(200).end("ok")));
    const res = await send({ method: "GET", url: api.url, service: "Test", backoff: fast });
    expect(res.status).toBe(200);
    expect(api.hits()).toBe(3);
  });

  it("names the server and the fix when the connection is refused, without leaking secrets", async () => {
    const api = await serve((_q, res) => res.end());
    const url = api.url;
    const s = servers.pop()!;
    await new Promise((r) => s.close(r));
    const err = await send({
      method: "POST",
      url: `${url}/?token=tok-very-secret`,
      service: "Sourcegraph",
      secrets: ["tok-very-secret"],
      backoff: fast,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toContain(`Sourcegraph at ${url} refused the connection`);
    expect(err.message).not.toContain("tok-very-secret");
    // The failure as data: a caller words its own message with `summary`, and branches on `reason`.
    expect(err.reason).toBe("refused");
    expect(err.attempts).toBe(fast.attempts);
    expect(err.summary).toBe(
      `refused the connection after ${fast.attempts} attempt(s); check the URL and that the server is up`,
    );
    expect(err.message).toBe(`Sourcegraph at ${url} ${err.summary}`);
    expect((err.cause as { code?: string }).code).toBe("ECONNREFUSED");
  });

  it("times out each attempt", async () => {
    const api = await serve(() => {
      /* never answers */
    });
    const err = await send({
      method: "GET",
      url: api.url,
      service: "Test",
      timeoutMs: 100,
      backoff: { ...fast, attempts: 2 },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toContain("timed out after 100 ms after 2 attempt(s)");
    expect(err.reason).toBe("timeout");
    expect(err.attempts).toBe(2);
  });
});
