// Proves the Bitbucket Server provider against the plugin's stand-in: lifecycle, drift, scopes, errors.
import { createHmac } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { provider } from "../../providers/bitbucket-server";
import {
  type BitbucketServerFake,
  PLUGIN_PATH,
  startBitbucketServerFake,
} from "../../src/stand-ins/bitbucket-server";
import { type FakeServer, startFakeServer } from "../../src/stand-ins/server";

const ADMIN_TOKEN = "bbs-admin-token";
const USER_TOKEN = "bbs-user-token";
const SECRET = "whsec-0123456789abcdef";
const RECEIVER = "https://sourcegraph.example.com/.api/webhooks/54104dbb-0b71-4a83-aa6b-eef46241614a";
const ENV_KEYS = [
  "BITBUCKET_SERVER_URL",
  "BITBUCKET_SERVER_TOKEN",
  "BITBUCKET_SERVER_USERNAME",
  "BITBUCKET_SERVER_PASSWORD",
];

let bbs: BitbucketServerFake;
let n = 0;

beforeAll(async () => {
  process.env.SG_WEBHOOKS_RETRY_BASE_MS = "5";
  bbs = await startBitbucketServerFake();
});
afterAll(async () => {
  await bbs.close();
});
beforeEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
  bbs.server.clearFaults();
  bbs.setPluginInstalled(true);
});
afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
});

/** Inputs as check returns them, with a fresh webhook name per test. */
async function checked(extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  n++;
  const res = await provider.check(
    {},
    {
      bitbucketServer: { url: bbs.url, token: ADMIN_TOKEN },
      webhookName: `stack-hook-${n}`,
      url: RECEIVER,
      secret: SECRET,
      ...extra,
    },
  );
  expect(res.failures ?? []).toEqual([]);
  return res.inputs;
}

const countNamed = (name: string) => bbs.webhooks().filter((w) => w.name === name).length;
const errorOf = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
};

describe("lifecycle", () => {
  it("creates, reads without drift, updates in place and deletes", async () => {
    const inputs = await checked();
    expect(inputs.instanceUrl).toBe(bbs.url);
    expect(inputs.scope).toBe("global");
    const created = await provider.create(inputs);
    const hook = bbs.webhook(inputs.webhookName)!;
    expect(created.id).toBe(String(hook.id));
    expect(hook).toMatchObject({ scope: "global", endpoint: RECEIVER, secret: SECRET });
    expect([...hook.events].sort()).toEqual(inputs.events);
    expect(created.outs).toMatchObject({
      webhookId: hook.id,
      instanceUrl: bbs.url,
      webhookName: inputs.webhookName,
      remoteScope: "global",
      schemaVersion: 1,
    });

    const read = await provider.read(created.id, created.outs);
    expect(read.id).toBe(created.id);
    expect(read.props!).toEqual(created.outs);
    expect(await provider.diff(created.id, read.props!, inputs)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });

    const news = { ...inputs, events: ["repo:refs_changed"], url: `${RECEIVER}-new` };
    const diff = await provider.diff(created.id, created.outs, news);
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const updated = await provider.update(created.id, created.outs, news);
    expect(updated.outs).toMatchObject({
      webhookId: hook.id,
      events: ["repo:refs_changed"],
      url: `${RECEIVER}-new`,
    });
    expect(bbs.webhook(inputs.webhookName)).toMatchObject({ id: hook.id, events: ["repo:refs_changed"] });
    expect(countNamed(inputs.webhookName)).toBe(1);

    await provider.delete(created.id, updated.outs!);
    expect(bbs.webhook(inputs.webhookName)).toBeUndefined();
    expect(await provider.read(created.id, updated.outs)).toEqual({});
  });

  it("deletes with a form body naming the hook, and a hook already gone is success", async () => {
    const inputs = await checked();
    const created = await provider.create(inputs);
    bbs.remove(inputs.webhookName);
    const before = bbs.server.log.length;
    await provider.delete(created.id, created.outs);
    const calls = bbs.server.log.slice(before);
    expect(calls).toEqual([{ method: "DELETE", path: PLUGIN_PATH, outcome: 204 }]);
    expect(await provider.read(created.id, created.outs)).toEqual({});
  });

  it("skips the network on update when only a credential changed", async () => {
    const inputs = await checked();
    const created = await provider.create(inputs);
    const news = {
      ...inputs,
      bitbucketServer: { url: bbs.url, username: "admin", password: "admin-password" },
    };
    expect((await provider.diff(created.id, created.outs, news)).changes).toBe(true);
    const writes = bbs.server.log.length;
    const updated = await provider.update(created.id, created.outs, news);
    expect(bbs.server.log.length).toBe(writes);
    expect(updated.outs.bitbucketServer).toEqual(news.bitbucketServer);
    // The new credential works for delete.
    await provider.delete(created.id, updated.outs);
    expect(bbs.webhook(inputs.webhookName)).toBeUndefined();
  });

  it("uses the stored instance URL for read, update and delete, never BITBUCKET_SERVER_URL", async () => {
    process.env.BITBUCKET_SERVER_URL = bbs.url;
    process.env.BITBUCKET_SERVER_TOKEN = ADMIN_TOKEN;
    const res = await provider.check({}, { webhookName: `env-${++n}`, url: RECEIVER, secret: SECRET });
    expect(res.inputs.instanceUrl).toBe(bbs.url);
    expect(res.inputs.bitbucketServer).toBeUndefined();
    const created = await provider.create(res.inputs);
    // Credentials from the environment are not stored.
    expect(JSON.stringify(created.outs)).not.toContain(ADMIN_TOKEN);
    process.env.BITBUCKET_SERVER_URL = "http://127.0.0.1:1";
    expect((await provider.read(created.id, created.outs)).id).toBe(created.id);
    await provider.delete(created.id, created.outs);
    expect(bbs.webhook(res.inputs.webhookName as string)).toBeUndefined();
  });
});

describe("drift", () => {
  it("shows a secret changed in the plugin's UI (GET returns secrets) and repairs it", async () => {
    const inputs = await checked();
    const created = await provider.create(inputs);
    bbs.edit(inputs.webhookName, { secret: "changed-by-hand" });
    const read = await provider.read(created.id, created.outs);
    expect(read.props!.secret).toBe("changed-by-hand");
    expect(await provider.diff(created.id, read.props!, inputs)).toMatchObject({
      changes: true,
      replaces: [],
    });
    await provider.update(created.id, read.props!, inputs);
    expect(bbs.webhook(inputs.webhookName)!.secret).toBe(SECRET);
  });

  it("shows changed events, endpoint and a removed secret", async () => {
    const inputs = await checked();
    const created = await provider.create(inputs);
    bbs.edit(inputs.webhookName, {
      events: ["pr", "repo"],
      endpoint: "https://elsewhere.example.com/x",
      secret: null,
    });
    const read = await provider.read(created.id, created.outs);
    expect(read.props!).toMatchObject({
      events: ["pr", "repo"],
      url: "https://elsewhere.example.com/x",
      secret: "",
    });
    expect((await provider.diff(created.id, read.props!, inputs)).changes).toBe(true);
    // Same set in another order is no change.
    expect(
      (await provider.diff(created.id, created.outs, { ...inputs, events: [...inputs.events].reverse() }))
        .changes,
    ).toBe(false);
  });

  it("follows a hook renamed in the UI by its id, so the rename shows as a replacement", async () => {
    const inputs = await checked();
    const created = await provider.create(inputs);
    bbs.edit(inputs.webhookName, { name: `${inputs.webhookName}-renamed` });
    const read = await provider.read(created.id, created.outs);
    expect(read.props!.webhookName).toBe(`${inputs.webhookName}-renamed`);
    expect((await provider.diff(created.id, read.props!, inputs)).replaces).toEqual(["webhookName"]);
    await provider.delete(created.id, read.props!);
    expect(bbs.webhook(`${inputs.webhookName}-renamed`)).toBeUndefined();
  });
});

describe("adopt", () => {
  it("takes over a hook with the same name and brings it to the declared settings", async () => {
    const inputs = await checked();
    await provider.create({
      ...inputs,
      events: ["pr"],
      url: "https://old.example.com/hook",
      secret: "old-secret",
    });
    const id = bbs.webhook(inputs.webhookName)!.id;
    const created = await provider.create(inputs);
    expect(created.id).toBe(String(id));
    expect(countNamed(inputs.webhookName)).toBe(1);
    expect(bbs.webhook(inputs.webhookName)).toMatchObject({ id, endpoint: RECEIVER, secret: SECRET });
  });

  it("sends nothing when the hook already has the declared settings", async () => {
    const inputs = await checked();
    await provider.create(inputs);
    const before = bbs.server.writes().length;
    const again = await provider.create(inputs);
    expect(bbs.server.writes().length).toBe(before);
    expect(again.outs.webhookId).toBe(bbs.webhook(inputs.webhookName)!.id);
  });
});

describe("scopes", () => {
  it("keeps project scopes, which GET spells the same way", async () => {
    const inputs = await checked({ scope: "project:Project One" });
    const created = await provider.create(inputs);
    expect(bbs.webhook(inputs.webhookName)!.scope).toBe("project:Project One");
    const read = await provider.read(created.id, created.outs);
    expect(read.props!.scope).toBe("project:Project One");
    expect((await provider.diff(created.id, read.props!, inputs)).changes).toBe(false);
  });

  it("keeps the declared repository:KEY/slug although GET answers with names, and shows real changes", async () => {
    const inputs = await checked({ scope: "repository:PROJ/repo-one" });
    const created = await provider.create(inputs);
    expect(created.outs.remoteScope).toBe("repository:Project One/Repo One");
    const read = await provider.read(created.id, created.outs);
    expect(read.props!).toMatchObject({
      scope: "repository:PROJ/repo-one",
      remoteScope: "repository:Project One/Repo One",
    });
    expect((await provider.diff(created.id, read.props!, inputs)).changes).toBe(false);

    bbs.edit(inputs.webhookName, { scope: "repository:PROJ/repo-two" });
    const drifted = await provider.read(created.id, read.props!);
    expect(drifted.props!.scope).toBe("repository:Project One/Repo Two");
    expect(await provider.diff(created.id, drifted.props!, inputs)).toMatchObject({
      changes: true,
      replaces: [],
    });
    const repaired = await provider.update(created.id, drifted.props!, inputs);
    expect(repaired.outs.remoteScope).toBe("repository:Project One/Repo One");
    expect(bbs.webhook(inputs.webhookName)!.scope).toBe("repository:Project One/Repo One");
  });

  it("moves a hook from global to a project in place", async () => {
    const inputs = await checked();
    const created = await provider.create(inputs);
    const news = { ...inputs, scope: "project:Project One" };
    expect(await provider.diff(created.id, created.outs, news)).toMatchObject({
      changes: true,
      replaces: [],
    });
    await provider.update(created.id, created.outs, news);
    expect(bbs.webhook(inputs.webhookName)).toMatchObject({
      id: Number(created.id),
      scope: "project:Project One",
    });
  });

  it("names the fix for an unknown project or repository", async () => {
    const project = await errorOf(provider.create(await checked({ scope: "project:PROJ" })));
    expect(project.message).toBe(
      `scope "project:PROJ": the Bitbucket Server at ${bbs.url} answered 404 "No such project: PROJ"; the project part is the project's NAME as shown in Bitbucket (not its key), or use scope "global"`,
    );
    const repo = await errorOf(provider.create(await checked({ scope: "repository:PROJ/nope" })));
    expect(repo.message).toBe(
      `scope "repository:PROJ/nope": the Bitbucket Server at ${bbs.url} answered 404 "No such repository: PROJ/nope"; give repository:<PROJECT KEY>/<repository slug> of an existing repository, or use scope "global"`,
    );
  });
});

describe("errors", () => {
  it("says the plugin is missing on a 404 of its path", async () => {
    const inputs = await checked();
    bbs.setPluginInstalled(false);
    const err = await errorOf(provider.create(inputs));
    expect(err.message).toBe(
      `the Bitbucket Server at ${bbs.url} has no Sourcegraph plugin (404 on /rest/sourcegraph-admin/1.0/webhook): install the Sourcegraph Bitbucket Server plugin (https://github.com/sourcegraph/bitbucket-server-plugin), or check bitbucketServer.url / BITBUCKET_SERVER_URL (it is the instance URL, with its context path if any)`,
    );
  });

  it("says a system administrator is needed on a 401, naming the credentials tried and the variables", async () => {
    const inputs = await checked({ bitbucketServer: { url: bbs.url, token: USER_TOKEN } });
    const err = await errorOf(provider.create(inputs));
    expect(err.message).toContain("managing plugin webhooks needs a Bitbucket system administrator (401)");
    expect(err.message).toContain("refused the credentials from bitbucketServer.token;");
    expect(err.message).toContain(
      "BITBUCKET_SERVER_TOKEN (or BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD)",
    );
    expect(err.message).not.toContain(USER_TOKEN);

    process.env.BITBUCKET_SERVER_USERNAME = "alice";
    process.env.BITBUCKET_SERVER_PASSWORD = "alice-password";
    const both = await errorOf(provider.create(inputs));
    expect(both.message).toContain(
      "refused the credentials from bitbucketServer.token, then BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD;",
    );
    expect(both.message).not.toContain("alice-password");
  });

  it("falls back to the environment's credential when the stored one is refused (rotation)", async () => {
    const inputs = await checked();
    const created = await provider.create(inputs);
    const stale = { ...created.outs, bitbucketServer: { url: bbs.url, token: "revoked-token" } };
    process.env.BITBUCKET_SERVER_USERNAME = "admin";
    process.env.BITBUCKET_SERVER_PASSWORD = "admin-password";
    expect((await provider.read(created.id, stale)).id).toBe(created.id);
    await provider.delete(created.id, stale);
    expect(bbs.webhook(inputs.webhookName)).toBeUndefined();
  });

  it("says which settings to give when there are no credentials", async () => {
    const inputs = await checked({ bitbucketServer: { url: bbs.url } });
    const err = await errorOf(provider.create(inputs));
    expect(err.message).toBe(
      `no credentials for the Bitbucket Server at ${bbs.url}: set bitbucketServer.token (or bitbucketServer.username + bitbucketServer.password), or the environment variables BITBUCKET_SERVER_TOKEN (or BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD) (a system administrator's)`,
    );
  });

  it("reports what the plugin rejected with 422 (inputs that skipped check)", async () => {
    const inputs = await checked();
    const err = await errorOf(provider.create({ ...inputs, scope: "org:acme" }));
    expect(err.message).toBe(
      `the Sourcegraph plugin at ${bbs.url} rejected webhook "${inputs.webhookName}" (422): Invalid scope: org:acme`,
    );
    expect(bbs.webhook(inputs.webhookName)).toBeUndefined();
  });

  it("keeps secrets and tokens out of other errors", async () => {
    const inputs = await checked();
    bbs.server.inject({
      kind: "status",
      status: 500,
      body: `boom ${SECRET} Bearer ${ADMIN_TOKEN}`,
      match: (r) => r.method === "POST",
    });
    const err = await errorOf(provider.create(inputs));
    expect(err.message).toMatch(/answered 500 to POST \/rest\/sourcegraph-admin\/1.0\/webhook/);
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain(ADMIN_TOKEN);
  });

  it("names the server when it cannot be reached", async () => {
    const inputs = await checked({ bitbucketServer: { url: "http://127.0.0.1:1", token: ADMIN_TOKEN } });
    const err = await errorOf(provider.create(inputs));
    expect(err.message).toContain("Bitbucket Server at http://127.0.0.1:1");
    expect(err.message).not.toContain(ADMIN_TOKEN);
  });
});

describe("resilience: each case ends with exactly one webhook", () => {
  it("waits out a burst of 429 with Retry-After", async () => {
    const inputs = await checked();
    bbs.server.inject({
      kind: "status",
      status: 429,
      retryAfter: 1,
      match: (r) => r.method === "POST",
      times: 2,
    });
    const started = Date.now();
    const created = await provider.create(inputs);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(countNamed(inputs.webhookName)).toBe(1);
    expect(created.outs.webhookId).toBe(bbs.webhook(inputs.webhookName)!.id);
    const posts = bbs.server.log.filter((l) => l.method === "POST").slice(-3);
    expect(posts.map((p) => p.outcome)).toEqual([429, 429, 204]);
  });

  it("repeats an upsert whose connection dropped after it was processed", async () => {
    const inputs = await checked();
    bbs.server.inject({ kind: "dropAfter", match: (r) => r.method === "POST" });
    const created = await provider.create(inputs);
    expect(countNamed(inputs.webhookName)).toBe(1);
    expect(created.id).toBe(String(bbs.webhook(inputs.webhookName)!.id));
    const posts = bbs.server.log.filter((l) => l.method === "POST").slice(-2);
    expect(posts.map((p) => p.outcome)).toEqual(["dropped", 204]);
  });

  it("survives a dropped GET and a 503 on the read-back", async () => {
    const inputs = await checked();
    bbs.server.inject({ kind: "dropBefore", match: (r) => r.method === "GET" });
    bbs.server.inject({ kind: "status", status: 503, match: (r) => r.method === "GET", times: 2 });
    await provider.create(inputs);
    expect(countNamed(inputs.webhookName)).toBe(1);
  });
});

describe("ping delivery", () => {
  let receiver: FakeServer;
  const seen: Array<{ headers: Record<string, unknown>; body: string }> = [];
  beforeAll(async () => {
    receiver = await startFakeServer((req) => {
      seen.push({ headers: req.headers, body: req.body.toString("utf8") });
      return { status: 200 };
    });
  });
  afterAll(async () => {
    await receiver.close();
  });

  it("the plugin pings the receiver, signed with the secret, on each upsert", async () => {
    const pinging = await startBitbucketServerFake({ deliverTestEvents: true });
    try {
      const res = await provider.check(
        {},
        {
          bitbucketServer: { url: pinging.url, token: ADMIN_TOKEN },
          webhookName: "pinged",
          url: `${receiver.url}/.api/webhooks/abc`,
          secret: SECRET,
        },
      );
      await provider.create(res.inputs);
      await pinging.settled();
      expect(seen).toHaveLength(1);
      expect(seen[0]!.body).toBe("{}");
      expect(seen[0]!.headers["x-event-key"]).toBe("ping");
      expect(seen[0]!.headers["x-hook-name"]).toBe("pinged");
      expect(seen[0]!.headers["x-hub-signature"]).toBe(
        `sha256=${createHmac("sha256", SECRET).update("{}").digest("hex")}`,
      );
      expect(pinging.deliveries[0]!.status).toBe(200);
      expect(pinging.webhook("pinged")!.lastError).toBeUndefined();
    } finally {
      await pinging.close();
    }
  });
});
