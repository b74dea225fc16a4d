// The GitHub client on a small local server: routes, cursor pagination through the Link header (never
// followed to another origin), a 429 waited for, and errors that name the fix without the token.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  type GitHubConnection,
  GitHubError,
  getDelivery,
  githubApiUrl,
  listDeliveries,
  listHooks,
  nextLink,
  pingHook,
  redeliver,
} from "../../providers/github";

const TOKEN = "gh-test-doctortesttoken0123456789abcdef";

interface Seen {
  method: string;
  url: string;
  authorization?: string;
}

const servers: http.Server[] = [];

async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void,
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization });
    req.resume();
    req.on("end", () => handler(req, res, seen.length));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const json = (
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));

const delivery = (id: number, guid: string, at: string, status = 200) => ({
  id,
  guid,
  delivered_at: at,
  redelivery: false,
  duration: 0.1,
  status: status === 0 ? "failed to connect" : "OK",
  status_code: status,
  event: "push",
  action: null,
});

describe("githubApiUrl", () => {
  it("is api.github.com for github.com and <url>/api/v3 for GitHub Enterprise Server", () => {
    expect(githubApiUrl(undefined)).toBe("https://api.github.com");
    expect(githubApiUrl("https://github.com/")).toBe("https://api.github.com");
    expect(githubApiUrl("https://ghe.example.com")).toBe("https://ghe.example.com/api/v3");
    expect(githubApiUrl("https://ghe.example.com/api/v3/")).toBe("https://ghe.example.com/api/v3");
  });
});

describe("nextLink", () => {
  const api = "https://api.github.com";
  it("finds rel=next among the links", () => {
    const link = `<${api}/orgs/a/hooks/1/deliveries?cursor=v1_2&per_page=2>; rel="next", <${api}/x?page=9>; rel="last"`;
    expect(nextLink(link, api)).toBe(`${api}/orgs/a/hooks/1/deliveries?cursor=v1_2&per_page=2`);
  });
  it("never follows a link to another origin: the token would go with it", () => {
    expect(nextLink('<https://evil.example.com/steal>; rel="next"', api)).toBeUndefined();
    expect(nextLink(undefined, api)).toBeUndefined();
    expect(nextLink('<https://api.github.com/p2>; rel="prev"', api)).toBeUndefined();
  });
});

describe("GitHub client", () => {
  it("pages deliveries through the Link header's cursor and stops at `since`", async () => {
    const server = await serve((req, res) => {
      const u = new URL(req.url!, "http://x");
      const cursor = u.searchParams.get("cursor");
      if (!cursor) {
        json(
          res,
          200,
          [delivery(5, "g5", "2026-03-01T10:05:00Z"), delivery(4, "g4", "2026-03-01T10:04:00Z")],
          {
            link: `<${server.url}/orgs/acme/hooks/7/deliveries?per_page=2&cursor=c2>; rel="next"`,
          },
        );
      } else if (cursor === "c2") {
        json(
          res,
          200,
          [delivery(3, "g3", "2026-03-01T10:03:00Z"), delivery(2, "g2", "2026-03-01T09:00:00Z")],
          {
            link: `<${server.url}/orgs/acme/hooks/7/deliveries?per_page=2&cursor=c3>; rel="next"`,
          },
        );
      } else json(res, 200, [delivery(1, "g1", "2026-03-01T08:00:00Z")]);
    });
    const conn: GitHubConnection = { apiUrl: server.url, token: TOKEN };
    const all = await listDeliveries(conn, { kind: "organization", org: "acme" }, 7, { perPage: 2 });
    expect(all.deliveries.map((d) => d.id)).toEqual([5, 4, 3, 2, 1]);
    expect(all.more).toBe(false);
    server.seen.length = 0;
    const recent = await listDeliveries(conn, { kind: "organization", org: "acme" }, 7, {
      perPage: 2,
      since: Date.parse("2026-03-01T10:00:00Z"),
    });
    expect(recent.deliveries.map((d) => d.guid)).toEqual(["g5", "g4", "g3"]);
    // The third page was not needed: the second already reached past `since`.
    expect(server.seen.map((s) => new URL(s.url, "http://x").searchParams.get("cursor"))).toEqual([
      null,
      "c2",
    ]);
    expect(server.seen.every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("calls the repository routes for ping, one delivery and redelivery", async () => {
    const server = await serve((req, res) => {
      if (req.url!.endsWith("/pings")) res.writeHead(204).end();
      else if (req.url!.endsWith("/attempts")) json(res, 202, {});
      else
        json(res, 200, {
          ...delivery(9, "g9", "2026-03-01T10:00:00Z", 400),
          response: { payload: "Could not validate payload with secret.\n" },
        });
    });
    const conn: GitHubConnection = { apiUrl: server.url, token: TOKEN };
    const owner = { kind: "repository" as const, owner: "octo", repo: "hello" };
    await pingHook(conn, owner, 3);
    const d = await getDelivery(conn, owner, 3, 9);
    await redeliver(conn, owner, 3, 9);
    expect(d?.statusCode).toBe(400);
    expect(d?.responseBody).toContain("Could not validate payload with secret");
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST /repos/octo/hello/hooks/3/pings",
      "GET /repos/octo/hello/hooks/3/deliveries/9",
      "POST /repos/octo/hello/hooks/3/deliveries/9/attempts",
    ]);
  });

  it("waits for Retry-After on a 429 instead of hammering", async () => {
    const server = await serve((_req, res, n) => {
      if (n === 1) json(res, 429, { message: "slow down" }, { "retry-after": "1" });
      else
        json(res, 200, [
          {
            id: 1,
            active: true,
            events: ["push"],
            config: { url: "https://sg/x", content_type: "json", insecure_ssl: "0" },
          },
        ]);
    });
    const started = Date.now();
    const hooks = await listHooks(
      { apiUrl: server.url, token: TOKEN },
      { kind: "organization", org: "acme" },
    );
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ id: 1, contentType: "json", insecureSsl: false, url: "https://sg/x" });
    expect(server.seen).toHaveLength(2);
    // The only wait that can come from the server: a second between the two requests.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("names the permission a 403 lacks, and never repeats the token", async () => {
    const server = await serve((_req, res) =>
      json(res, 403, { message: `Must have admin rights to Repository. token ${TOKEN}` }),
    );
    const err = await listHooks(
      { apiUrl: server.url, token: TOKEN },
      { kind: "organization", org: "acme" },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect(err.reason).toBe("forbidden");
    expect(err.message).toContain("admin:org_hook");
    expect(err.message).not.toContain(TOKEN);
  });

  it("tells a spent rate limit from a missing permission", async () => {
    const server = await serve((_req, res) =>
      json(
        res,
        403,
        { message: "API rate limit exceeded" },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1900000000" },
      ),
    );
    const err = await listHooks(
      { apiUrl: server.url, token: TOKEN },
      { kind: "organization", org: "acme" },
    ).catch((e) => e);
    expect(err.reason).toBe("rateLimited");
    expect(err.message).toContain("resets at 2030-03-17");
  });
});
