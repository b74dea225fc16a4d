// The GitHub stand-in's contract, checked with plain HTTP against GitHub's documented behaviour
// (reference/delivery-verification.md A1, reference/codehost-apis.md section 1): what doctor and
// redeliver are tested against must refuse what GitHub refuses and deliver as GitHub delivers.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  GITHUB_ADMIN_TOKEN,
  type GitHubDeliveryRecord,
  type GitHubFake,
  isLoopback,
  startGitHubFake,
} from "../../src/stand-ins/github";
import { startTestReceiver, type TestReceiver } from "./receiver-server";

const SECRET = "gh-hook-secret-0123456789";
let gh: GitHubFake;
let rx: TestReceiver;

beforeAll(async () => {
  gh = await startGitHubFake({
    orgs: ["acme", "other"],
    repos: ["acme/widgets", "solo/tool"],
    tokens: {
      [GITHUB_ADMIN_TOKEN]: { orgs: "all", repos: "all" },
      "ghp-widgets-admin": { repos: ["acme/widgets"] },
    },
  });
  rx = await startTestReceiver();
});
afterAll(async () => {
  await gh.close();
  await rx.close();
});
beforeEach(() => {
  rx.answer = { status: 200 };
});

async function api(
  method: string,
  path: string,
  body?: unknown,
  auth: string | null = `Bearer ${GITHUB_ADMIN_TOKEN}`,
) {
  const res = await fetch(`${gh.apiUrl}/${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: auth } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const hookBody = (url: string, extra: Record<string, unknown> = {}) => ({
  name: "web",
  config: { url, content_type: "json", secret: SECRET },
  events: ["push", "pull_request"],
  ...extra,
});

const sign = (alg: string, body: Buffer, secret = SECRET) =>
  `${alg}=${createHmac(alg, secret).update(body).digest("hex")}`;

describe("GitHub stand-in: auth and visibility", () => {
  it("answers 401 without a token or with an unknown one, and takes Bearer and token alike", async () => {
    expect(await api("GET", "orgs/acme/hooks", undefined, null)).toMatchObject({
      status: 401,
      body: { message: "Requires authentication" },
    });
    expect(await api("GET", "orgs/acme/hooks", undefined, "Bearer nope")).toMatchObject({
      status: 401,
      body: { message: "Bad credentials" },
    });
    expect((await api("GET", "orgs/acme/hooks", undefined, `token ${GITHUB_ADMIN_TOKEN}`)).status).toBe(200);
    expect((await api("GET", "orgs/acme/hooks")).status).toBe(200);
  });

  it("hides what a token may not administer, and what does not exist, behind 404", async () => {
    expect((await api("GET", "orgs/acme/hooks", undefined, "Bearer ghp-widgets-admin")).status).toBe(404);
    expect((await api("GET", "repos/acme/widgets/hooks", undefined, "Bearer ghp-widgets-admin")).status).toBe(
      200,
    );
    expect((await api("GET", "orgs/nobody/hooks")).status).toBe(404);
    const created = await api("POST", "orgs/other/hooks", hookBody("https://r.example.com/x"));
    // A hook of another organization is not found under this one.
    expect((await api("GET", `orgs/acme/hooks/${created.body.id}`)).status).toBe(404);
    expect((await api("GET", `orgs/other/hooks/${created.body.id}`)).status).toBe(200);
  });
});

describe("GitHub stand-in: hooks", () => {
  it("creates with GitHub's shape and defaults, masking the secret on every read", async () => {
    const created = await api("POST", "orgs/acme/hooks", {
      name: "web",
      config: { url: "https://r.example.com/a", secret: "s3cret" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: "Organization",
      name: "web",
      active: true,
      events: ["push"],
      config: { url: "https://r.example.com/a", content_type: "form", insecure_ssl: "0", secret: "********" },
      url: `${gh.apiUrl}/orgs/acme/hooks/${created.body.id}`,
      ping_url: `${gh.apiUrl}/orgs/acme/hooks/${created.body.id}/pings`,
    });
    const read = await api("GET", `orgs/acme/hooks/${created.body.id}`);
    expect(JSON.stringify(read.body)).not.toContain("s3cret");
    expect((await api("GET", `orgs/acme/hooks/${created.body.id}/config`)).body).toEqual({
      url: "https://r.example.com/a",
      content_type: "form",
      insecure_ssl: "0",
      secret: "********",
    });
    expect(gh.hook(created.body.id)!.secret).toBe("s3cret");
  });

  it("refuses what GitHub refuses with 422", async () => {
    expect(
      (await api("POST", "orgs/acme/hooks", { config: { url: "https://r.example.com/b" } })).status,
    ).toBe(422);
    expect((await api("POST", "orgs/acme/hooks", { name: "web", config: {} })).body.errors[0].message).toBe(
      "Config must contain URL",
    );
    expect(
      (
        await api(
          "POST",
          "orgs/acme/hooks",
          hookBody("https://r.example.com/c", { events: ["no_such_event"] }),
        )
      ).status,
    ).toBe(422);
    expect(
      (
        await api(
          "POST",
          "orgs/acme/hooks",
          hookBody("https://r.example.com/c", {
            config: { url: "https://r.example.com/c", content_type: "xml" },
          }),
        )
      ).status,
    ).toBe(422);
    await api("POST", "orgs/acme/hooks", hookBody("https://r.example.com/dup"));
    expect(
      (await api("POST", "orgs/acme/hooks", hookBody("https://r.example.com/dup"))).body.errors[0].message,
    ).toMatch(/already exists/);
    // A repository hook needs no name.
    expect(
      (await api("POST", "repos/acme/widgets/hooks", { config: { url: "https://r.example.com/r" } })).status,
    ).toBe(201);
  });

  it("an update with a config but no secret removes the secret; the config route keeps it", async () => {
    const { body } = await api("POST", "orgs/acme/hooks", hookBody("https://r.example.com/u"));
    expect((await api("PATCH", `orgs/acme/hooks/${body.id}`, { events: ["push"] })).body.config.secret).toBe(
      "********",
    );
    expect(gh.hook(body.id)!.secret).toBe(SECRET);
    await api("PATCH", `orgs/acme/hooks/${body.id}/config`, { content_type: "form" });
    expect(gh.hook(body.id)).toMatchObject({ secret: SECRET, contentType: "form" });
    const patched = await api("PATCH", `orgs/acme/hooks/${body.id}`, {
      config: { url: "https://r.example.com/u2" },
      active: false,
    });
    expect(patched.body.config.secret).toBeUndefined();
    expect(gh.hook(body.id)).toMatchObject({
      secret: "",
      url: "https://r.example.com/u2",
      active: false,
      contentType: "form",
    });
  });

  it("deletes with 204, then the hook is gone (404)", async () => {
    const { body } = await api("POST", "repos/acme/widgets/hooks", hookBody("https://r.example.com/d"));
    expect((await api("DELETE", `repos/acme/widgets/hooks/${body.id}`)).status).toBe(204);
    expect((await api("GET", `repos/acme/widgets/hooks/${body.id}`)).status).toBe(404);
    expect((await api("DELETE", `repos/acme/widgets/hooks/${body.id}`)).status).toBe(404);
  });
});

describe("GitHub stand-in: deliveries", () => {
  it("pings a new hook and on POST …/pings (204), signed over the raw body with the hook's secret", async () => {
    const before = rx.received.length;
    const { body } = await api("POST", "orgs/acme/hooks", hookBody(`${rx.url}/ping-me`));
    await gh.settled();
    expect((await api("POST", `orgs/acme/hooks/${body.id}/pings`)).status).toBe(204);
    await gh.settled();
    const pings = rx.received.slice(before).filter((r) => r.path === "/ping-me");
    expect(pings).toHaveLength(2);
    for (const p of pings) {
      expect(p.headers).toMatchObject({
        "content-type": "application/json",
        "x-github-event": "ping",
        "x-github-hook-id": String(body.id),
        "x-github-hook-installation-target-type": "organization",
        "x-hub-signature-256": sign("sha256", p.body),
        "x-hub-signature": sign("sha1", p.body),
      });
      expect(p.headers["user-agent"]).toMatch(/^GitHub-Hookshot\//);
      expect(JSON.parse(p.body.toString()).hook_id).toBe(body.id);
    }
    expect(pings[0]!.headers["x-github-delivery"]).not.toBe(pings[1]!.headers["x-github-delivery"]);
    const listed = await api("GET", `orgs/acme/hooks/${body.id}/deliveries`);
    expect(listed.body).toHaveLength(2);
    expect(listed.body[0]).toMatchObject({
      event: "ping",
      status: "OK",
      status_code: 200,
      redelivery: false,
      action: null,
    });
    expect(listed.body[0].guid).toBe(pings[1]!.headers["x-github-delivery"]);
  });

  it("sends form-encoded bodies to form hooks, signed over the form bytes", async () => {
    const h = gh.addHook("acme/widgets", { url: `${rx.url}/form`, secret: SECRET, contentType: "form" });
    await gh.settled();
    const p = rx.received.filter((r) => r.path === "/form").at(-1)!;
    expect(p.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(p.headers["x-hub-signature-256"]).toBe(sign("sha256", p.body));
    const payload = JSON.parse(new URLSearchParams(p.body.toString()).get("payload")!);
    expect(payload.hook_id).toBe(h.id);
    expect(payload.repository.full_name).toBe("acme/widgets");
  });

  it("records failures as GitHub does: the receiver's status, a refused connection, a timeout", async () => {
    const h = gh.addHook("acme", { url: `${rx.url}/fail`, secret: SECRET, events: ["push"] });
    await gh.settled();
    rx.answer = { status: 500, body: "boom" };
    const mine = (sent: GitHubDeliveryRecord[]) => sent.find((d) => d.hookId === h.id);
    const failed = mine(await gh.emit("acme", "push"));
    expect(failed).toMatchObject({ status: "Invalid HTTP Response: 500", statusCode: 500 });
    const one = await api("GET", `orgs/acme/hooks/${h.id}/deliveries/${failed!.id}`);
    expect(one.body).toMatchObject({
      id: failed!.id,
      url: `${rx.url}/fail`,
      response: { payload: "boom" },
      request: { headers: { "X-GitHub-Event": "push" } },
    });

    const closed = await startTestReceiver();
    await closed.close();
    gh.setHook(h.id, { url: `${closed.url}/gone` });
    const refused = mine(await gh.emit("acme", "push"));
    expect(refused).toMatchObject({ status: "failed to connect", statusCode: 0 });

    const quick = await startGitHubFake({ orgs: ["acme"], timeoutMs: 100 });
    try {
      quick.addHook("acme", { url: `${rx.url}/slow`, events: ["push"] });
      await quick.settled();
      rx.answer = { status: 200, delayMs: 400 };
      const [slow] = await quick.emit("acme", "push");
      expect(slow).toMatchObject({ status: "timed out", statusCode: 0 });
    } finally {
      await quick.close();
    }
  });

  it("never connects to a non-loopback address", async () => {
    expect(isLoopback("http://127.0.0.1:1/x")).toBe(true);
    expect(isLoopback("http://[::1]:1/x")).toBe(true);
    expect(isLoopback("http://localhost/x")).toBe(true);
    expect(isLoopback("http://10.0.0.1/x")).toBe(false);
    expect(isLoopback("https://sourcegraph.example.com/x")).toBe(false);
    const h = gh.addHook("solo/tool", { url: "http://203.0.113.9:81/hook", events: ["push"] });
    await gh.settled();
    const [d] = gh.deliveries(h.id);
    expect(d!.status).toMatch(/only to loopback/);
    expect(d!.statusCode).toBe(0);
  });

  it("pages deliveries newest first with the cursor in the Link header, at most 100 a page", async () => {
    const h = gh.addHook("other", { url: `${rx.url}/many`, events: ["issues"] });
    await gh.settled();
    for (let i = 0; i < 24; i++) await gh.emit("other", "issues", { action: "opened" });
    const seen: number[] = [];
    let url: string | undefined = `${gh.apiUrl}/orgs/other/hooks/${h.id}/deliveries?per_page=10`;
    let pages = 0;
    while (url) {
      const res: Response = await fetch(url, { headers: { authorization: `Bearer ${GITHUB_ADMIN_TOKEN}` } });
      const items = (await res.json()) as Array<{ id: number; action: string | null }>;
      seen.push(...items.map((i) => i.id));
      pages++;
      url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    const big = await api("GET", `orgs/other/hooks/${h.id}/deliveries?per_page=500`);
    expect(big.body).toHaveLength(25);
    expect(big.body[0].action).toBe("opened");
    expect((await api("GET", `orgs/other/hooks/${h.id}/deliveries?cursor=bogus`)).status).toBe(400);
  });

  it("redelivers (202) as a new delivery with the same guid, within the window only", async () => {
    const h = gh.addHook("acme/widgets", {
      url: `${rx.url}/again`,
      secret: SECRET,
      contentType: "json",
      events: ["push"],
    });
    await gh.settled();
    rx.answer = { status: 503 };
    const first = (await gh.emit("acme/widgets", "push")).find((d) => d.hookId === h.id);
    rx.answer = { status: 200 };
    const before = rx.received.length;
    expect(
      (await api("POST", `repos/acme/widgets/hooks/${h.id}/deliveries/${first!.id}/attempts`)).status,
    ).toBe(202);
    await gh.settled();
    const resent = rx.received.slice(before).find((r) => r.path === "/again")!;
    expect(resent.headers["x-github-delivery"]).toBe(first!.guid);
    expect(resent.headers["x-hub-signature-256"]).toBe(sign("sha256", resent.body));
    const list = (await api("GET", `repos/acme/widgets/hooks/${h.id}/deliveries`)).body;
    expect(list[0]).toMatchObject({ guid: first!.guid, redelivery: true, status: "OK", status_code: 200 });
    expect(list[0].id).not.toBe(first!.id);
    expect((await api("POST", `repos/acme/widgets/hooks/${h.id}/deliveries/999999/attempts`)).status).toBe(
      404,
    );
    gh.backdate(first!.id, gh.redeliveryWindowMs + 1000);
    expect(
      (await api("POST", `repos/acme/widgets/hooks/${h.id}/deliveries/${first!.id}/attempts`)).status,
    ).toBe(422);
    expect(gh.redeliveryWindowMs).toBe(7 * 24 * 3600 * 1000);
  });

  it("emits one event (one guid) to the repository's and the organization's subscribed, active hooks only", async () => {
    const g = await startGitHubFake({ orgs: ["acme"], repos: ["acme/widgets"] });
    try {
      const repoHook = g.addHook("acme/widgets", { url: `${rx.url}/e1`, events: ["push"] });
      const orgHook = g.addHook("acme", { url: `${rx.url}/e2`, events: ["*"] });
      g.addHook("acme", { url: `${rx.url}/e3`, events: ["issues"] });
      g.addHook("acme/widgets", { url: `${rx.url}/e4`, events: ["push"], active: false });
      await g.settled();
      const sent = await g.emit("acme/widgets", "push");
      expect(sent.map((d) => d.hookId).sort()).toEqual([repoHook.id, orgHook.id].sort());
      expect(new Set(sent.map((d) => d.guid)).size).toBe(1);
    } finally {
      await g.close();
    }
  });
});

describe("GitHub stand-in: held deliveries", () => {
  it("holds deliveries until released, then sends them", async () => {
    const g = await startGitHubFake({ orgs: ["acme"] });
    try {
      g.holdDeliveries();
      const before = rx.received.length;
      g.addHook("acme", { url: `${rx.url}/held`, events: ["push"] });
      const emitted = g.emit("acme", "push");
      await new Promise((r) => setTimeout(r, 100));
      expect(rx.received.length).toBe(before);
      expect(g.deliveries()).toEqual([]);
      g.releaseDeliveries();
      expect(await emitted).toHaveLength(1);
      await g.settled();
      expect(
        g
          .deliveries()
          .map((d) => d.event)
          .sort(),
      ).toEqual(["ping", "push"]);
    } finally {
      await g.close();
    }
  });
});

describe("GitHub stand-in: editions and limits", () => {
  it("github.com edition: the API at the root, 3 days to redeliver", async () => {
    const dotcom = await startGitHubFake({ edition: "dotcom", orgs: ["acme"] });
    try {
      expect(dotcom.apiUrl).toBe(dotcom.url);
      expect(dotcom.redeliveryWindowMs).toBe(3 * 24 * 3600 * 1000);
      const ok = await fetch(`${dotcom.url}/orgs/acme/hooks`, {
        headers: { authorization: `token ${GITHUB_ADMIN_TOKEN}` },
      });
      expect(ok.status).toBe(200);
      const ghes = await fetch(`${dotcom.url}/api/v3/orgs/acme/hooks`, {
        headers: { authorization: `token ${GITHUB_ADMIN_TOKEN}` },
      });
      expect(ghes.status).toBe(404);
    } finally {
      await dotcom.close();
    }
  });

  it("answers 429 with Retry-After beyond its rate limit", async () => {
    const limited = await startGitHubFake({
      orgs: ["acme"],
      network: { rateLimit: { limit: 2, windowMs: 60_000 } },
    });
    try {
      const get = () =>
        fetch(`${limited.apiUrl}/orgs/acme/hooks`, {
          headers: { authorization: `Bearer ${GITHUB_ADMIN_TOKEN}` },
        });
      expect((await get()).status).toBe(200);
      expect((await get()).status).toBe(200);
      const refused = await get();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // A client that comes back before Retry-After has passed is marked as early.
      expect(limited.log.some((l) => l.early)).toBe(false);
      expect((await get()).status).toBe(429);
      expect(limited.log.at(-1)).toMatchObject({ outcome: 429, early: true });
    } finally {
      await limited.close();
    }
  });

  it("refuses connections during an outage and comes back on the same URL", async () => {
    const g = await startGitHubFake({ orgs: ["acme"] });
    try {
      await g.refuseConnections();
      await expect(fetch(`${g.apiUrl}/orgs/acme/hooks`)).rejects.toThrow();
      await g.acceptConnections();
      expect(
        (
          await fetch(`${g.apiUrl}/orgs/acme/hooks`, {
            headers: { authorization: `Bearer ${GITHUB_ADMIN_TOKEN}` },
          })
        ).status,
      ).toBe(200);
    } finally {
      await g.close();
    }
  });
});
