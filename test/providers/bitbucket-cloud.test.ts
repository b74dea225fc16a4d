// Proves the Bitbucket Cloud provider against its stand-in: lifecycle, drift, adoption, credentials, errors.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { check, type Inputs, type Outputs, provider } from "../../providers/bitbucket-cloud";
import { defaultEvents, normalizeEvents } from "../../providers/events";
import { AmbiguousRequestError } from "../../providers/http";
import { type BitbucketCloudFake, startBitbucketCloudFake } from "../../src/stand-ins/bitbucket-cloud";

const TOKEN = "bbc-tok-5e1d2c3b4a";
const EMAIL = "ops@example.com";
const API_TOKEN = "ATATT-api-token-77aa88bb";
const SECRET = "hook-secret-9f8e7d6c";
const RECEIVER = "https://sourcegraph.example.com/.api/webhooks/2d9a4a0c-1c1e-4e3a-9d55-0d1f6c5b7e11";

const ENV_NAMES = ["BITBUCKET_CLOUD_TOKEN", "BITBUCKET_CLOUD_EMAIL", "BITBUCKET_CLOUD_API_TOKEN"];
const KNOWN = [TOKEN, API_TOKEN, SECRET, "bbc-rotated-token", "bbc-wrong-token", "bbc-noscope-token"];

function clean(text: string): void {
  for (const s of KNOWN) expect(text).not.toContain(s);
}

let fake: BitbucketCloudFake;

beforeAll(async () => {
  process.env.SG_WEBHOOKS_RETRY_BASE_MS = "5";
  fake = await startBitbucketCloudFake({
    tokens: [TOKEN, "bbc-rotated-token"],
    accounts: [{ email: EMAIL, apiToken: API_TOKEN }],
    tokensWithoutWebhookScope: ["bbc-noscope-token"],
  });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  for (const n of ENV_NAMES) delete process.env[n];
  for (const h of fake.hooks()) fake.removeHook(h.uuid);
  fake.writes.length = 0;
  fake.server.clearFaults();
});

async function inputs(over: Record<string, unknown> = {}): Promise<Inputs> {
  const res = await provider.check(
    {},
    {
      bitbucketCloud: { apiUrl: fake.apiUrl, token: TOKEN },
      workspace: "acme",
      repository: "widgets",
      url: RECEIVER,
      secret: SECRET,
      description: "Sourcegraph (sgw-test-hook)",
      ...over,
    },
  );
  expect(res.failures ?? []).toEqual([]);
  return res.inputs as Inputs;
}

async function expectRejects(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const message = String((err as Error).message);
    clean(message);
    return message;
  }
  throw new Error("expected a rejection");
}

describe.each([
  { kind: "repository", over: {}, scope: "acme/widgets" },
  {
    kind: "workspace",
    over: { repository: undefined, bitbucketCloud: { apiUrl: "", email: EMAIL, apiToken: API_TOKEN } },
    scope: "acme",
  },
])("$kind hook lifecycle", ({ over, scope }) => {
  it("creates, reads, updates without re-sending the secret, rotates it, deletes, and deletes again", async () => {
    const conn = over.bitbucketCloud ? { ...over.bitbucketCloud, apiUrl: fake.apiUrl } : undefined;
    const ins = await inputs({ ...over, ...(conn ? { bitbucketCloud: conn } : {}) });
    const created = await provider.create(ins);
    const outs = created.outs as Outputs;
    expect(created.id).toMatch(/^\{[0-9a-f-]{36}\}$/);
    expect(fake.hooks(scope)).toHaveLength(1);
    const stored = fake.hook(created.id)!;
    expect(stored.secret).toBe(SECRET);
    expect(stored.url).toBe(RECEIVER);
    expect(stored.active).toBe(true);
    expect(normalizeEvents(stored.events)).toEqual(normalizeEvents(defaultEvents("bitbucketCloud")));
    expect(outs).toMatchObject({
      schemaVersion: 1,
      uuid: created.id,
      apiUrl: fake.apiUrl,
      workspace: "acme",
      url: RECEIVER,
      secret: SECRET,
      secretSet: true,
      active: true,
      description: "Sourcegraph (sgw-test-hook)",
    });
    expect(outs.repository).toBe(scope.includes("/") ? "widgets" : undefined);

    // No-op diff and read.
    expect(await provider.diff(created.id, outs, ins)).toMatchObject({ changes: false, replaces: [] });
    const read = await provider.read(created.id, outs);
    expect(read).toEqual({ id: created.id, props: outs });

    // In-place update of events and description: the secret is left out, so Bitbucket keeps it.
    const changed = await inputs({
      ...over,
      ...(conn ? { bitbucketCloud: conn } : {}),
      events: ["repo:push"],
      description: "x",
    });
    const d = await provider.diff(created.id, outs, changed);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    fake.writes.length = 0;
    const updated = (await provider.update(created.id, outs, changed)).outs as Outputs;
    expect(fake.writes).toHaveLength(1);
    expect(fake.writes[0]!.method).toBe("PUT");
    expect("secret" in fake.writes[0]!.body).toBe(false);
    expect(fake.hook(created.id)!.secret).toBe(SECRET);
    expect(updated).toMatchObject({
      events: ["repo:push"],
      description: "x",
      secret: SECRET,
      secretSet: true,
    });

    // Rotating the secret sends it.
    const rotated = { ...changed, secret: "hook-secret-rotated" };
    expect((await provider.diff(created.id, updated, rotated)).changes).toBe(true);
    const afterRotate = (await provider.update(created.id, updated, rotated)).outs as Outputs;
    expect(fake.writes.at(-1)!.body.secret).toBe("hook-secret-rotated");
    expect(fake.hook(created.id)!.secret).toBe("hook-secret-rotated");
    expect(afterRotate.secret).toBe("hook-secret-rotated");

    // Removing the secret sends null.
    const { secret: _drop, ...noSecret } = rotated;
    const cleared = (await provider.update(created.id, afterRotate, noSecret)).outs as Outputs;
    expect(fake.writes.at(-1)!.body.secret).toBeNull();
    expect(fake.hook(created.id)!.secret).toBeNull();
    expect(cleared.secretSet).toBe(false);
    expect(cleared.secret).toBeUndefined();

    await provider.delete(created.id, cleared);
    expect(fake.hooks(scope)).toHaveLength(0);
    // Already gone: success, and read reports it gone.
    await provider.delete(created.id, cleared);
    expect(await provider.read(created.id, cleared)).toEqual({});
  });

  it("ends with exactly one hook after a 429 burst with Retry-After on the create POST", async () => {
    const limited = await startBitbucketCloudFake({
      tokens: [TOKEN],
      accounts: [{ email: EMAIL, apiToken: API_TOKEN }],
      // The list call spends the budget: the POST meets 429 until the window rolls.
      rateLimit: { limit: 1, windowMs: 1000, retryAfter: 1 },
    });
    try {
      const conn = over.bitbucketCloud
        ? { ...over.bitbucketCloud, apiUrl: limited.apiUrl }
        : { apiUrl: limited.apiUrl, token: TOKEN };
      const ins = await inputs({ ...over, bitbucketCloud: conn });
      const started = Date.now();
      const { id } = await provider.create(ins);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(limited.server.log.some((l) => l.method === "POST" && l.outcome === 429)).toBe(true);
      expect(limited.hooks(scope)).toHaveLength(1);
      expect(limited.hook(id)!.secret).toBe(SECRET);
    } finally {
      await limited.close();
    }
  });

  it("ends with exactly one hook when the connection drops after the create POST was processed", async () => {
    const conn = over.bitbucketCloud ? { ...over.bitbucketCloud, apiUrl: fake.apiUrl } : undefined;
    const ins = await inputs({ ...over, ...(conn ? { bitbucketCloud: conn } : {}) });
    fake.server.inject({ kind: "dropAfter", match: (r) => r.method === "POST" });
    const { id, outs } = await provider.create(ins);
    expect(fake.server.log.some((l) => l.method === "POST" && l.outcome === "dropped")).toBe(true);
    expect(fake.hooks(scope)).toHaveLength(1);
    expect(fake.hook(id)!.secret).toBe(SECRET);
    expect((outs as Outputs).secretSet).toBe(true);
  });
});

describe("drift", () => {
  it("reports a lost secret (secret_set false) and repairs it by re-sending the secret", async () => {
    const ins = await inputs();
    const { id, outs } = await provider.create(ins);
    fake.setHook(id, { secret: null });
    const read = await provider.read(id, outs);
    const props = read.props as Outputs;
    expect(props.secretSet).toBe(false);
    expect(props.secret).toBeUndefined();
    expect(await provider.diff(id, props, ins)).toMatchObject({ changes: true, replaces: [] });
    fake.writes.length = 0;
    const repaired = (await provider.update(id, props, ins)).outs as Outputs;
    expect(fake.writes[0]!.body.secret).toBe(SECRET);
    expect(fake.hook(id)!.secret).toBe(SECRET);
    expect(repaired).toMatchObject({ secret: SECRET, secretSet: true });
    expect(await provider.diff(id, repaired, ins)).toMatchObject({ changes: false });
  });

  it("reports a secret set outside Pulumi on a hook declared without one, and removes it", async () => {
    const { secret: _s, ...rest } = await inputs();
    const ins = rest as Inputs;
    const { id, outs } = await provider.create(ins);
    expect(fake.hook(id)!.secret).toBeNull();
    fake.setHook(id, { secret: "someone-else" });
    const props = (await provider.read(id, outs)).props as Outputs;
    expect(props.secretSet).toBe(true);
    expect((await provider.diff(id, props, ins)).changes).toBe(true);
    await provider.update(id, props, ins);
    expect(fake.hook(id)!.secret).toBeNull();
  });

  it("reports changed url, events, description and a deactivated hook", async () => {
    const ins = await inputs();
    const { id, outs } = await provider.create(ins);
    fake.setHook(id, {
      url: "https://elsewhere.example.com/hook",
      events: ["repo:fork"],
      description: "hand",
      active: false,
    });
    const props = (await provider.read(id, outs)).props as Outputs;
    expect(props).toMatchObject({
      url: "https://elsewhere.example.com/hook",
      events: ["repo:fork"],
      description: "hand",
      active: false,
    });
    expect((await provider.diff(id, props, ins)).changes).toBe(true);
    await provider.update(id, props, ins);
    const h = fake.hook(id)!;
    expect(h).toMatchObject({
      url: RECEIVER,
      description: "Sourcegraph (sgw-test-hook)",
      active: true,
      secret: SECRET,
    });
    expect(normalizeEvents(h.events)).toEqual(ins.events);
  });

  it("reports a hook deleted outside Pulumi as gone, and update says to refresh", async () => {
    const ins = await inputs();
    const { id, outs } = await provider.create(ins);
    fake.removeHook(id);
    expect(await provider.read(id, outs)).toEqual({});
    const msg = await expectRejects(provider.update(id, outs, { ...ins, events: ["repo:push"] }));
    expect(msg).toContain("no longer exists");
    expect(msg).toContain("pulumi refresh");
  });
});

describe("idempotent create", () => {
  it("adopts a hook with the same URL and brings it to the declared settings", async () => {
    const hand = fake.addHook({
      workspace: "acme",
      repository: "widgets",
      url: RECEIVER,
      description: "made by hand",
      events: ["repo:fork"],
      secret: "old-secret",
    });
    const ins = await inputs();
    const { id } = await provider.create(ins);
    expect(id).toBe(hand.uuid);
    expect(fake.hooks("acme/widgets")).toHaveLength(1);
    expect(fake.hook(id)).toMatchObject({ secret: SECRET, description: "Sourcegraph (sgw-test-hook)" });
    expect(normalizeEvents(fake.hook(id)!.events)).toEqual(ins.events);
    expect(fake.writes.map((w) => w.method)).toEqual(["PUT"]);
  });

  it("finds the hook to adopt on a later page of the list", async () => {
    for (let i = 0; i < 105; i++) {
      fake.addHook({
        workspace: "acme",
        url: `https://other.example.com/${i}`,
        description: "",
        events: ["repo:push"],
      });
    }
    const target = fake.addHook({ workspace: "acme", url: RECEIVER, description: "", events: ["repo:push"] });
    const ins = await inputs({ repository: undefined });
    const { id } = await provider.create(ins);
    expect(id).toBe(target.uuid);
    expect(fake.hooks("acme")).toHaveLength(106);
    expect(fake.server.log.filter((l) => l.method === "GET").length).toBeGreaterThanOrEqual(2);
  });

  it("does not adopt a hook of another repository or the workspace", async () => {
    fake.addHook({
      workspace: "acme",
      repository: "gadgets",
      url: RECEIVER,
      description: "",
      events: ["repo:push"],
    });
    fake.addHook({ workspace: "acme", url: RECEIVER, description: "", events: ["repo:push"] });
    await provider.create(await inputs());
    expect(fake.hooks("acme/widgets")).toHaveLength(1);
    expect(fake.hooks()).toHaveLength(3);
  });
});

describe("credentials", () => {
  it("uses the environment's access token when no credential is given", async () => {
    process.env.BITBUCKET_CLOUD_TOKEN = TOKEN;
    const { id } = await provider.create(await inputs({ bitbucketCloud: { apiUrl: fake.apiUrl } }));
    expect(fake.hook(id)).toBeDefined();
  });

  it("uses the environment's e-mail and API token", async () => {
    process.env.BITBUCKET_CLOUD_EMAIL = EMAIL;
    process.env.BITBUCKET_CLOUD_API_TOKEN = API_TOKEN;
    const { id } = await provider.create(await inputs({ bitbucketCloud: { apiUrl: fake.apiUrl } }));
    expect(fake.hook(id)).toBeDefined();
  });

  it("falls back to the environment's token when the stored one is refused (rotation)", async () => {
    const ins = await inputs({ bitbucketCloud: { apiUrl: fake.apiUrl, token: "bbc-wrong-token" } });
    process.env.BITBUCKET_CLOUD_TOKEN = "bbc-rotated-token";
    const { id, outs } = await provider.create(ins);
    await provider.delete(id, outs);
    expect(fake.hooks()).toHaveLength(0);
  });

  it("a changed token only refreshes the state, without a call", async () => {
    const ins = await inputs();
    const { id, outs } = await provider.create(ins);
    const news = await inputs({ bitbucketCloud: { apiUrl: fake.apiUrl, token: "bbc-rotated-token" } });
    expect(await provider.diff(id, outs, news)).toMatchObject({ changes: true, replaces: [] });
    const before = fake.server.log.length;
    const after = (await provider.update(id, outs, news)).outs as Outputs;
    expect(fake.server.log.length).toBe(before);
    expect(after.bitbucketCloud?.token).toBe("bbc-rotated-token");
  });
});

describe("errors name the fix and never carry a token or secret", () => {
  it("401: names the variables", async () => {
    const msg = await expectRejects(
      provider.create(await inputs({ bitbucketCloud: { apiUrl: fake.apiUrl, token: "bbc-wrong-token" } })),
    );
    expect(msg).toContain("answered 401");
    expect(msg).toContain("BITBUCKET_CLOUD_TOKEN");
    expect(msg).toContain("BITBUCKET_CLOUD_EMAIL and BITBUCKET_CLOUD_API_TOKEN");
  });

  it("401 with an e-mail and API token", async () => {
    const msg = await expectRejects(
      provider.create(
        await inputs({ bitbucketCloud: { apiUrl: fake.apiUrl, email: EMAIL, apiToken: "bbc-wrong-token" } }),
      ),
    );
    expect(msg).toContain("answered 401");
    expect(msg).toContain("account e-mail");
  });

  it("403: names the webhook scope", async () => {
    const msg = await expectRejects(
      provider.create(await inputs({ bitbucketCloud: { apiUrl: fake.apiUrl, token: "bbc-noscope-token" } })),
    );
    expect(msg).toContain("answered 403");
    expect(msg).toContain('"webhook" scope');
    expect(msg).toContain("write:webhook:bitbucket");
    expect(msg).toContain("administrator of repository acme/widgets");
  });

  it("404: names the repository", async () => {
    const msg = await expectRejects(provider.create(await inputs({ repository: "nope" })));
    expect(msg).toContain("answered 404");
    expect(msg).toContain('repository "acme/nope" was not found');
  });

  it("404: names the workspace", async () => {
    const msg = await expectRejects(
      provider.create(await inputs({ workspace: "nowhere", repository: undefined })),
    );
    expect(msg).toContain('workspace "nowhere" was not found');
  });

  it("no credentials at all", async () => {
    const msg = await expectRejects(
      provider.create(await inputs({ bitbucketCloud: { apiUrl: fake.apiUrl } })),
    );
    expect(msg).toContain("no Bitbucket Cloud credentials");
    expect(msg).toContain("BITBUCKET_CLOUD_TOKEN");
  });

  it("a server that is down: a connection error naming it", async () => {
    const msg = await expectRejects(
      provider.read("{x}", {
        uuid: "{00000000-0000-4000-8000-000000000000}",
        apiUrl: "http://127.0.0.1:9/2.0",
        workspace: "acme",
        bitbucketCloud: { token: TOKEN },
      }),
    );
    expect(msg).toContain("Bitbucket Cloud at http://127.0.0.1:9");
  });

  it("a POST that stays ambiguous twice surfaces as such", async () => {
    fake.server.inject({ kind: "dropBefore", match: (r) => r.method === "POST", times: 2 });
    const err = await provider.create(await inputs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmbiguousRequestError);
    expect((err as Error).message).toMatch(/second try: the next `pulumi up` looks again and adopts/);
    expect(fake.hooks()).toHaveLength(0);
  });
});

describe("check", () => {
  const base = { workspace: "acme", url: RECEIVER };
  it("defaults events, description and the API URL", () => {
    const { inputs, failures } = check(base);
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({
      apiUrl: "https://api.bitbucket.org/2.0",
      events: normalizeEvents(defaultEvents("bitbucketCloud")),
      description: "Sourcegraph",
    });
  });
  it("rejects unknown events listing the valid ones", () => {
    const { failures } = check({ ...base, events: ["repo:push", "pr:opened"] });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.property).toBe("events");
    expect(failures[0]!.reason).toContain('"pr:opened"');
    expect(failures[0]!.reason).toContain("valid: repo:push");
  });
  it("rejects bad inputs with messages that name them", () => {
    const reasons = (n: Record<string, unknown>) =>
      check(n).failures.map((f) => `${f.property}: ${f.reason}`);
    expect(reasons({ url: RECEIVER })).toEqual([expect.stringContaining("workspace is required")]);
    expect(reasons({ ...base, repository: "acme/widgets" })).toEqual([
      expect.stringContaining("repository slug only"),
    ]);
    expect(reasons({ ...base, url: "not a url" })).toEqual([
      expect.stringContaining("url must be an absolute http(s) URL"),
    ]);
    expect(reasons({ ...base, secret: "" })).toEqual([expect.stringContaining("1 to 128 characters")]);
    expect(reasons({ ...base, secret: "x".repeat(129) })).toEqual([
      expect.stringContaining("1 to 128 characters"),
    ]);
    expect(reasons({ ...base, events: [] })).toEqual([expect.stringContaining("non-empty list")]);
    expect(reasons({ ...base, bitbucketCloud: { token: "t", email: "e" } })).toEqual([
      expect.stringContaining("not both"),
    ]);
    expect(reasons({ ...base, bitbucketCloud: { email: "e" } })).toEqual([
      expect.stringContaining("needs bitbucketCloud.apiToken"),
    ]);
    expect(reasons({ ...base, bitbucketCloud: { apiToken: "t" } })).toEqual([
      expect.stringContaining("needs bitbucketCloud.email"),
    ]);
    expect(reasons({ ...base, bitbucketCloud: { apiUrl: "ftp://x" } })).toEqual([
      expect.stringContaining("bitbucketCloud.apiUrl must be"),
    ]);
  });
});

afterEach(() => {
  for (const n of ENV_NAMES) delete process.env[n];
});
