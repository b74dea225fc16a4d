// Proves the Sourcegraph receiver provider against its stand-in: lifecycle, adoption, credentials, errors.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listReceivers, type Outputs, provider } from "../../providers/sourcegraph";
import {
  ADMIN_TOKEN,
  type SourcegraphFake,
  startSourcegraphFake,
  USER_TOKEN,
} from "../../src/stand-ins/sourcegraph";

const ROTATED = "fake-sg-rotated-0123456789abcdef0123456789abcdef0";
const SECRET = "SuppliedSecret0123456789abcdefABCDEF";
const KNOWN = [ADMIN_TOKEN, USER_TOKEN, ROTATED, SECRET];

let fake: SourcegraphFake;
const ENV = ["SRC_ENDPOINT", "SRC_ACCESS_TOKEN", "SG_WEBHOOKS_HTTP_TIMEOUT_MS", "SG_WEBHOOKS_RETRY_ATTEMPTS"];

beforeAll(async () => {
  process.env.SG_WEBHOOKS_RETRY_BASE_MS = "5";
  fake = await startSourcegraphFake({
    tokens: {
      [ADMIN_TOKEN]: { username: "admin", siteAdmin: true },
      [USER_TOKEN]: { username: "alice", siteAdmin: false },
      [ROTATED]: { username: "admin", siteAdmin: true },
    },
  });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  for (const n of ENV) delete process.env[n];
  fake.reset();
  fake.tokens[ADMIN_TOKEN] = { username: "admin", siteAdmin: true };
});
afterEach(() => {
  fake.clearFaults();
});

function clean(text: string, extra: string[] = []): void {
  for (const s of [...KNOWN, ...extra]) expect(text).not.toContain(s);
}

async function checked(over: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const all = {
    codeHostKind: "GITHUB",
    codeHostUrn: "https://GitHub.com",
    webhookName: "sgw-test-gh",
    sourcegraph: { endpoint: fake.url, accessToken: ADMIN_TOKEN },
    ...over,
  };
  const r = await provider.check({}, all);
  expect(r.failures ?? []).toEqual([]);
  return r.inputs as Record<string, unknown>;
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const message = (err as Error).message;
    clean(message);
    return message;
  }
  throw new Error("expected a rejection");
}

const ops = (name: string) => fake.operations.filter((o) => o.query.includes(name));

describe("SourcegraphReceiver provider: lifecycle", () => {
  it("creates with a generated secret, reads, updates in place, and deletes", async () => {
    const inputs = await checked();
    const { id, outs } = await provider.create(inputs);
    const o = outs as Outputs;
    expect(id).toBe("V2ViaG9vazox");
    const r = fake.receiver(id)!;
    expect(o).toEqual({
      schemaVersion: 1,
      webhookId: id,
      uuid: r.uuid,
      url: `${fake.url}/.api/webhooks/${r.uuid}`,
      codeHostKind: "GITHUB",
      codeHostUrn: "https://github.com/",
      webhookName: "sgw-test-gh",
      secret: r.secret,
      endpoint: fake.url,
      sourcegraph: { endpoint: fake.url, accessToken: ADMIN_TOKEN },
    });
    expect(r.secret).toMatch(/^[A-Za-z0-9]{40}$/);
    // The same program again: nothing to do.
    expect(await provider.diff(id, outs, inputs)).toMatchObject({ changes: false });

    const read = await provider.read(id, outs);
    expect(read).toEqual({ id, props: outs });

    const news = await checked({
      webhookName: "renamed",
      codeHostUrn: "https://github.example.com",
      secret: SECRET,
    });
    expect(await provider.diff(id, outs, news)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = (await provider.update(id, outs, news)).outs as Outputs;
    expect(updated).toMatchObject({
      webhookId: id,
      uuid: r.uuid,
      url: o.url,
      webhookName: "renamed",
      codeHostUrn: "https://github.example.com/",
      secret: SECRET,
    });
    expect(fake.receiver(id)).toMatchObject({
      name: "renamed",
      codeHostURN: "https://github.example.com/",
      secret: SECRET,
    });

    await provider.delete(id, updated);
    expect(fake.receivers()).toEqual([]);
    // Already gone is success.
    await provider.delete(id, updated);
  });

  it("never sends an empty secret; secret: false sends none", async () => {
    const { id, outs } = await provider.create(
      await checked({ codeHostKind: "BITBUCKETCLOUD", secret: false }),
    );
    expect(ops("createWebhook")[0]!.variables.secret).toBeNull();
    expect(fake.receiver(id)!.secret).toBeNull();
    expect((outs as Outputs).secret).toBeUndefined();
    for (const o of fake.operations) expect(o.variables.secret).not.toBe("");
  });

  it("uses the given secret as is", async () => {
    const { id, outs } = await provider.create(await checked({ secret: SECRET }));
    expect(fake.receiver(id)!.secret).toBe(SECRET);
    expect((outs as Outputs).secret).toBe(SECRET);
  });

  it("reports drift of secret, name, URN and kind, and a receiver deleted outside Pulumi as gone", async () => {
    const inputs = await checked({ secret: SECRET });
    const { id, outs } = await provider.create(inputs);
    const r = fake.receiver(id)!;
    r.secret = "ChangedByHand";
    r.name = "hand-renamed";
    r.codeHostURN = "https://elsewhere.example.com/";
    r.codeHostKind = "GITLAB";
    const read = await provider.read(id, outs);
    expect(read.props).toMatchObject({
      secret: "ChangedByHand",
      webhookName: "hand-renamed",
      codeHostUrn: "https://elsewhere.example.com/",
      codeHostKind: "GITLAB",
    });
    // The next `up` repairs it in place.
    expect(await provider.diff(id, read.props!, inputs)).toMatchObject({ changes: true, replaces: [] });
    await provider.update(id, read.props!, inputs);
    expect(fake.receiver(id)).toMatchObject({
      secret: SECRET,
      name: "sgw-test-gh",
      codeHostURN: "https://github.com/",
      codeHostKind: "GITHUB",
    });

    fake.remove(id);
    expect(await provider.read(id, outs)).toEqual({});
    fake.toggles.nodeNotFound = "null";
    expect(await provider.read(id, outs)).toEqual({});
  });

  it("says that a secret cannot be cleared", async () => {
    const { id, outs } = await provider.create(await checked());
    const message = await rejection(provider.update(id, outs, await checked({ secret: false })));
    expect(message).toBe(
      `Sourcegraph at ${fake.url} cannot remove the secret of receiver ${id}: updateWebhook keeps the current secret when none is given. Keep a secret (remove secret: false), or delete the receiver and create it again without one (it then gets a new URL for the code hosts)`,
    );
  });

  it("only stores a rotated token given as input, without calling Sourcegraph", async () => {
    const { id, outs } = await provider.create(await checked());
    const before = fake.operations.length;
    const news = await checked({ sourcegraph: { endpoint: fake.url, accessToken: ROTATED } });
    const { outs: after } = await provider.update(id, outs, news);
    expect(fake.operations.length).toBe(before);
    expect((after as Outputs).sourcegraph).toEqual({ endpoint: fake.url, accessToken: ROTATED });
  });

  it("upgrades outputs of shape 0 on read", async () => {
    const { id, outs } = await provider.create(await checked());
    const o = outs as Outputs;
    const old = {
      uuid: o.uuid,
      url: o.url,
      codeHostKind: o.codeHostKind,
      codeHostURN: o.codeHostUrn,
      name: o.webhookName,
      secret: o.secret,
      sourcegraph: o.sourcegraph,
    };
    expect(await provider.read(id, old)).toEqual({ id, props: outs });
  });
});

describe("SourcegraphReceiver provider: idempotent create and adoption", () => {
  it("adopts the receiver a create made before its answer was lost, instead of making a duplicate", async () => {
    fake.inject({ kind: "dropAfter", match: (req) => req.body.toString().includes("createWebhook") });
    const { id, outs } = await provider.create(await checked({ secret: SECRET }));
    expect(fake.receivers()).toHaveLength(1);
    expect(ops("createWebhook")).toHaveLength(1);
    expect(id).toBe(fake.receivers()[0]!.id);
    expect((outs as Outputs).secret).toBe(SECRET);
  });

  it("creates once more when the first create made nothing, and says what to do when that one is lost too", async () => {
    fake.inject({
      kind: "dropBefore",
      times: 2,
      match: (req) => req.body.toString().includes("createWebhook"),
    });
    const message = await rejection(provider.create(await checked({ secret: SECRET })));
    expect(message).toMatch(
      /^Sourcegraph at .* did not answer POST .*This was the second try: the next `pulumi up` looks again and adopts what was made \(the receiver with the same kind, code host URN and webhookName\)$/,
    );
    expect(fake.receivers()).toEqual([]);
    expect(ops("webhooks(")).toHaveLength(2);
  });

  it("adopts a receiver with the same kind, URN and name (a crash after create), bringing its secret in line", async () => {
    const left = fake.seed({
      name: "sgw-test-gh",
      codeHostKind: "GITHUB",
      codeHostURN: "https://github.com",
      secret: "old",
    });
    const { id } = await provider.create(await checked({ secret: SECRET }));
    expect(id).toBe(left.id);
    expect(fake.receivers()).toHaveLength(1);
    expect(ops("createWebhook")).toHaveLength(0);
    expect(left.secret).toBe(SECRET);
  });

  it("does not take over a receiver under another name without adopt: true", async () => {
    fake.seed({ name: "made by hand", codeHostKind: "GITHUB", codeHostURN: "https://github.com/" });
    const { id } = await provider.create(await checked());
    expect(fake.receivers()).toHaveLength(2);
    expect(id).toBe("V2ViaG9vazoy");
  });

  it("with adopt: true takes over the one receiver for that kind and URN, renaming it and giving it a secret", async () => {
    fake.seed({ name: "other kind", codeHostKind: "GITLAB", codeHostURN: "https://github.com/" });
    const hand = fake.seed({
      name: "made by hand",
      codeHostKind: "GITHUB",
      codeHostURN: "https://GITHUB.com",
    });
    const { id, outs } = await provider.create(await checked({ adopt: true }));
    expect(id).toBe(hand.id);
    expect(hand.name).toBe("sgw-test-gh");
    expect(hand.secret).toMatch(/^[A-Za-z0-9]{40}$/);
    expect((outs as Outputs).uuid).toBe(hand.uuid);
    expect(fake.receivers()).toHaveLength(2);
  });

  it("with adopt: true refuses to choose between several, listing them", async () => {
    const a = fake.seed({ name: "one", codeHostKind: "GITHUB", codeHostURN: "https://github.com" });
    const b = fake.seed({ name: "two", codeHostKind: "GITHUB", codeHostURN: "https://github.com/" });
    const message = await rejection(provider.create(await checked({ adopt: true })));
    expect(message).toBe(
      `adopt: true found 2 receivers for GITHUB https://github.com/ in Sourcegraph at ${fake.url}: ${a.id} "one" (${fake.url}/.api/webhooks/${a.uuid}), ${b.id} "two" (${fake.url}/.api/webhooks/${b.uuid}). Set webhookName to the name of the one to adopt, or delete the others`,
    );
    expect(ops("createWebhook")).toHaveLength(0);
  });

  it("lists every receiver across pages", async () => {
    for (let i = 0; i < 7; i++)
      fake.seed({ name: `r${i}`, codeHostKind: "GITHUB", codeHostURN: "https://h" });
    const conn = { endpoint: fake.url, accessToken: ADMIN_TOKEN };
    const all = await listReceivers(conn, { pageSize: 3 });
    expect(all.map((r) => r.name)).toEqual(["r0", "r1", "r2", "r3", "r4", "r5", "r6"]);
    expect(ops("webhooks(")).toHaveLength(3);
  });
});

describe("SourcegraphReceiver provider: credentials", () => {
  it("falls back to SRC_ENDPOINT and SRC_ACCESS_TOKEN, and stores neither", async () => {
    process.env.SRC_ENDPOINT = `${fake.url}/`;
    process.env.SRC_ACCESS_TOKEN = ADMIN_TOKEN;
    const { outs } = await provider.create(await checked({ sourcegraph: undefined }));
    expect((outs as Outputs).endpoint).toBe(fake.url);
    expect((outs as Outputs).sourcegraph).toBeUndefined();
    clean(JSON.stringify(outs));
  });

  it("deletes with the token in the environment when the stored one was revoked", async () => {
    const { id, outs } = await provider.create(await checked());
    delete fake.tokens[ADMIN_TOKEN];
    process.env.SRC_ACCESS_TOKEN = ROTATED;
    await provider.delete(id, outs);
    expect(fake.receivers()).toEqual([]);
  });

  it("uses the stored endpoint for read, update and delete, never SRC_ENDPOINT", async () => {
    const { id, outs } = await provider.create(await checked());
    process.env.SRC_ENDPOINT = "http://127.0.0.1:9";
    expect((await provider.read(id, outs)).id).toBe(id);
    await provider.delete(id, outs);
    expect(fake.receivers()).toEqual([]);
  });
});

describe("SourcegraphReceiver provider: errors name the fix", () => {
  it("401: the token is invalid or expired", async () => {
    const message = await rejection(
      provider.create(
        await checked({ sourcegraph: { endpoint: fake.url, accessToken: "sgp_revoked_token_123" } }),
      ),
    );
    expect(message).toBe(
      `Sourcegraph at ${fake.url} answered 401: the access token is invalid or expired (set SRC_ACCESS_TOKEN or sourcegraph.accessToken)`,
    );
  });

  it("not a site admin", async () => {
    const message = await rejection(
      provider.create(await checked({ sourcegraph: { endpoint: fake.url, accessToken: USER_TOKEN } })),
    );
    expect(message).toBe(
      `Sourcegraph at ${fake.url} answered "must be site admin": incoming webhooks can only be managed with the access token of a site admin (set SRC_ACCESS_TOKEN or sourcegraph.accessToken to a site admin's token)`,
    );
  });

  it("no token and no endpoint", async () => {
    expect(await rejection(provider.create(await checked({ sourcegraph: { endpoint: fake.url } })))).toBe(
      "No Sourcegraph access token: set SRC_ACCESS_TOKEN or sourcegraph.accessToken to the access token of a site admin",
    );
    process.env.SRC_ENDPOINT = fake.url;
    const inputs = await checked({ sourcegraph: { accessToken: ADMIN_TOKEN } });
    delete process.env.SRC_ENDPOINT;
    expect(await rejection(provider.create(inputs))).toMatch(
      /^No Sourcegraph endpoint: set SRC_ENDPOINT or sourcegraph\.endpoint/,
    );
  });

  it("connection refused, with the endpoint", async () => {
    process.env.SG_WEBHOOKS_RETRY_ATTEMPTS = "2";
    const endpoint = "http://127.0.0.1:9";
    const message = await rejection(
      provider.create(await checked({ sourcegraph: { endpoint, accessToken: ADMIN_TOKEN } })),
    );
    expect(message).toMatch(/^Cannot reach Sourcegraph at http:\/\/127\.0\.0\.1:9: .*refused the connection/);
    expect(message).toContain("set sourcegraph.endpoint or SRC_ENDPOINT");
  });

  it("timeout, with the endpoint", async () => {
    process.env.SG_WEBHOOKS_RETRY_ATTEMPTS = "2";
    process.env.SG_WEBHOOKS_HTTP_TIMEOUT_MS = "100";
    fake.inject({ kind: "latency", ms: 400, times: 2 });
    const message = await rejection(provider.create(await checked()));
    expect(message).toMatch(new RegExp(`^Cannot reach Sourcegraph at ${fake.url}: .*timed out after 100 ms`));
  });

  it("a Sourcegraph that keeps failing", async () => {
    process.env.SG_WEBHOOKS_RETRY_ATTEMPTS = "2";
    fake.inject({ kind: "status", status: 503, times: 2 });
    expect(await rejection(provider.create(await checked()))).toBe(
      `Sourcegraph at ${fake.url} answered 503 to Receivers: Service Unavailable (Sourcegraph is failing or unavailable (2 attempts); try again later)`,
    );
  });

  it("Sourcegraph older than 5.5 refusing a Bitbucket Cloud secret", async () => {
    fake.toggles.version = "5.4.0";
    const message = await rejection(
      provider.create(await checked({ codeHostKind: "BITBUCKETCLOUD", secret: SECRET })),
    );
    expect(message).toBe(
      `Sourcegraph at ${fake.url} refused a secret for a Bitbucket Cloud receiver ("webhooks do not support secrets for code host kind BITBUCKETCLOUD"): Sourcegraph older than 5.5 accepts none. Upgrade Sourcegraph to 5.5 or later, or set secret: false on this receiver (its deliveries are then not verified)`,
    );
    // secret: false is the way out.
    await provider.create(await checked({ codeHostKind: "BITBUCKETCLOUD", secret: false }));
  });

  it("update of a receiver deleted outside Pulumi asks for a refresh", async () => {
    const { id, outs } = await provider.create(await checked());
    fake.remove(id);
    const message = await rejection(provider.update(id, outs, await checked({ webhookName: "x" })));
    expect(message).toBe(
      `Receiver ${id} no longer exists in Sourcegraph at ${fake.url}: run \`pulumi refresh\` so that the next \`pulumi up\` creates it again`,
    );
  });

  it("an endpoint that is not Sourcegraph", async () => {
    const message = await rejection(
      provider.create(
        await checked({ sourcegraph: { endpoint: `${fake.url}/nope`, accessToken: ADMIN_TOKEN } }),
      ),
    );
    expect(message).toBe(
      `Sourcegraph at ${fake.url}/nope answered 404 to Receivers: 404 page not found (is ${fake.url}/nope the URL of a Sourcegraph instance, without /.api?)`,
    );
  });
});

describe("SourcegraphReceiver provider: retries", () => {
  it("waits out a 429 with Retry-After, then succeeds", async () => {
    fake.inject({ kind: "status", status: 429, retryAfter: 1, times: 1 });
    const started = Date.now();
    const { id } = await provider.create(await checked());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(fake.receiver(id)).toBeDefined();
    expect(fake.log.filter((l) => l.outcome === 429)).toHaveLength(1);
  });

  it("retries a 503 on a mutation and a 502 on a query", async () => {
    fake.inject({
      kind: "status",
      status: 503,
      times: 2,
      match: (r) => r.body.toString().includes("createWebhook"),
    });
    fake.inject({
      kind: "status",
      status: 502,
      times: 1,
      match: (r) => r.body.toString().includes("webhooks("),
    });
    const { id } = await provider.create(await checked());
    expect(fake.receivers().map((r) => r.id)).toEqual([id]);
    expect(fake.log.filter((l) => l.outcome === 503)).toHaveLength(2);
    expect(fake.log.filter((l) => l.outcome === 502)).toHaveLength(1);
  });

  it("does not replay a delete whose answer was lost, and still succeeds", async () => {
    const { id, outs } = await provider.create(await checked());
    fake.inject({ kind: "dropAfter", match: (r) => r.body.toString().includes("deleteWebhook") });
    await provider.delete(id, outs);
    expect(fake.receivers()).toEqual([]);
    expect(ops("deleteWebhook")).toHaveLength(1);
  });
});
