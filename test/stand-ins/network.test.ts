// The shared fake plumbing's network options (src/stand-ins/server.ts): a rate limit that every fake
// enforces the same way (429 with an integer Retry-After beyond the rate, before the API sees the
// request), and faults that strike at random with a given chance. The benchmarks rely on both.
import { afterEach, describe, expect, it } from "vitest";
import { startBitbucketCloudFake } from "../../src/stand-ins/bitbucket-cloud";
import { PLUGIN_PATH, startBitbucketServerFake } from "../../src/stand-ins/bitbucket-server";
import { startGitLabFake } from "../../src/stand-ins/gitlab";
import { SlidingWindow } from "../../src/stand-ins/rate-limit";
import { type FakeServer, type NetworkOptions, startFakeServer } from "../../src/stand-ins/server";
import { ADMIN_TOKEN, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

// A window far longer than the test: which requests are refused does not depend on timing.
const LIMITED: NetworkOptions = { rateLimit: { limit: 3, windowMs: 600_000 } };

interface Subject {
  server: FakeServer;
  /** A request the fake's API answers 2xx. */
  request: () => Promise<Response>;
}

const fakes: Record<string, () => Promise<Subject>> = {
  gitlab: async () => {
    const f = await startGitLabFake({ projects: ["g/p"], network: LIMITED });
    closers.push(() => f.close());
    return {
      server: f,
      request: () =>
        fetch(`${f.url}/api/v4/projects/g%2Fp/hooks`, { headers: { "private-token": "glpat-fake-owner" } }),
    };
  },
  "bitbucket-server": async () => {
    const f = await startBitbucketServerFake({ network: LIMITED });
    closers.push(() => f.close());
    return {
      server: f.server,
      request: () =>
        fetch(`${f.url}${PLUGIN_PATH}`, { headers: { authorization: "Bearer bbs-admin-token" } }),
    };
  },
  "bitbucket-cloud": async () => {
    const f = await startBitbucketCloudFake({ network: LIMITED });
    closers.push(() => f.close());
    return {
      server: f.server,
      request: () =>
        fetch(`${f.apiUrl}/repositories/acme/widgets/hooks`, {
          headers: { authorization: "Bearer bbc-access-token" },
        }),
    };
  },
  sourcegraph: async () => {
    const f = await startSourcegraphFake({ network: LIMITED });
    closers.push(() => f.close());
    return {
      server: f,
      request: () =>
        fetch(`${f.url}/.api/graphql`, {
          method: "POST",
          headers: { authorization: `token ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ query: "{ webhooks(first: 1) { totalCount } }" }),
        }),
    };
  },
};

describe("fake network options", () => {
  for (const [name, start] of Object.entries(fakes)) {
    it(`${name}: beyond its rate, answers 429 with an integer Retry-After before the API sees the request`, async () => {
      const { server, request } = await start();
      const statuses: number[] = [];
      const retryAfters: Array<string | null> = [];
      for (let i = 0; i < 5; i++) {
        const res = await request();
        await res.text();
        statuses.push(res.status);
        retryAfters.push(res.headers.get("retry-after"));
      }
      expect(statuses.slice(0, 3).every((s) => s >= 200 && s < 300)).toBe(true);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(retryAfters.slice(0, 3)).toEqual([null, null, null]);
      for (const value of retryAfters.slice(3)) {
        expect(value).toMatch(/^\d+$/);
        // Seconds until the oldest admitted request leaves the 600 s window.
        expect(Number(value)).toBeGreaterThanOrEqual(1);
        expect(Number(value)).toBeLessThanOrEqual(600);
      }
      expect(server.log.map((l) => l.fault)).toEqual([
        undefined,
        undefined,
        undefined,
        "rateLimit",
        "rateLimit",
      ]);
    });
  }

  it("a rolling window: a refused request spends nothing, and the budget comes back as requests age out", () => {
    const w = new SlidingWindow({ limit: 2, windowMs: 1000 });
    expect(w.admit(0)).toBeUndefined();
    expect(w.admit(400)).toBeUndefined();
    // Full until the request at 0 leaves the window at 1000: 0.2 s away, rounded up to whole seconds.
    expect(w.admit(800)).toBe(1);
    expect(w.admit(999)).toBe(1);
    expect(w.admit(1000)).toBeUndefined();
    // The requests at 400 and 1000 fill the window until 1400: 0.3 s away, still a whole second.
    expect(w.admit(1100)).toBe(1);
    expect(w.admit(1400)).toBeUndefined();
    const slow = new SlidingWindow({ limit: 1, windowMs: 60_000 });
    expect(slow.admit(0)).toBeUndefined();
    expect(slow.admit(500)).toBe(60);
    expect(slow.admit(59_001)).toBe(1);
  });

  it("faults with a chance strike as the random source says, without a count, and are logged by kind", async () => {
    const draws = [0.1, 0.9, 0.1, 0.9, 0.9, 0.9];
    const server = await startFakeServer(() => ({ status: 200, body: "ok" }), {
      random: () => draws.shift() ?? 0.9,
    });
    closers.push(() => server.close());
    server.inject({ kind: "status", status: 503, chance: 0.5 });
    server.inject({ kind: "dropBefore", chance: 0.5, match: (r) => r.method === "POST" });
    const outcomes: Array<number | string> = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(
        await fetch(`${server.url}/x`).then(
          (r) => r.status,
          () => "dropped",
        ),
      );
    }
    expect(outcomes).toEqual([503, 200, 503, 200]);
    expect(server.log.map((l) => [l.outcome, l.fault])).toEqual([
      [503, "status"],
      [200, undefined],
      [503, "status"],
      [200, undefined],
    ]);
  });

  it("a fault with a chance stops after `times` strikes", async () => {
    const server = await startFakeServer(() => ({ status: 200 }), { random: () => 0 });
    closers.push(() => server.close());
    server.inject({ kind: "status", status: 429, retryAfter: 1, chance: 1, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(server.url)).status);
    expect(statuses).toEqual([429, 429, 200]);
  });
});
