// Proves the Bitbucket Cloud provider's diff and state, its fetch adapter, and the stand-in's test delivery.
import { createHmac } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, diff, type Inputs, type Outputs, SendTransport } from "../../providers/bitbucket-cloud";
import { upgradeOutputs } from "../../providers/bitbucket-cloud/state";
import { normalizeEvents } from "../../providers/events";
import { ConnectionError } from "../../providers/http";
import { UNKNOWN } from "../../providers/shared";
import { startBitbucketCloudFake } from "../../src/stand-ins/bitbucket-cloud";
import { startFakeServer } from "../../src/stand-ins/server";

const olds: Outputs = {
  schemaVersion: 1,
  uuid: "{a}",
  apiUrl: "https://api.bitbucket.org/2.0",
  workspace: "acme",
  repository: "widgets",
  url: "https://sg.example.com/.api/webhooks/1",
  events: ["repo:push", "pullrequest:created"],
  description: "Sourcegraph",
  active: true,
  secretSet: true,
  secret: "s",
  bitbucketCloud: { token: "t" },
};
const news: Inputs = {
  bitbucketCloud: { token: "t" },
  apiUrl: "https://api.bitbucket.org/2.0",
  workspace: "acme",
  repository: "widgets",
  url: "https://sg.example.com/.api/webhooks/1",
  events: ["pullrequest:created", "repo:push"],
  description: "Sourcegraph",
  secret: "s",
};

describe("diff", () => {
  it("is a no-op when only the event order differs", () => {
    expect(diff("{a}", { ...olds }, news)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
  it("is a no-op when the API URL is spelled in another case or with a trailing slash", () => {
    const { bitbucketCloud: _c, apiUrl: _a, ...rest } = news;
    const checked = check({
      ...rest,
      bitbucketCloud: { apiUrl: "HTTPS://API.Bitbucket.org/2.0/", token: "t" },
    });
    expect(checked.failures).toEqual([]);
    expect(
      diff(
        "{a}",
        { ...olds, bitbucketCloud: { apiUrl: "https://api.bitbucket.org/2.0", token: "t" } },
        checked.inputs,
      ),
    ).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    // A state that kept the spelling as given.
    expect(diff("{a}", { ...olds, apiUrl: "https://API.bitbucket.org/2.0/" }, news).replaces).toEqual([]);
  });
  it("replaces on apiUrl, workspace or repository, including to and from a workspace hook", () => {
    expect(diff("{a}", { ...olds }, { ...news, apiUrl: "https://bb.example.com/2.0" }).replaces).toEqual([
      "apiUrl",
    ]);
    expect(diff("{a}", { ...olds }, { ...news, workspace: "other" }).replaces).toEqual(["workspace"]);
    const { repository: _r, ...wsNews } = news;
    expect(diff("{a}", { ...olds }, wsNews as Inputs).replaces).toEqual(["repository"]);
  });
  it("changes in place on url, events, description, secret, credentials and a deactivated hook", () => {
    for (const n of [
      { ...news, url: "https://sg.example.com/x" },
      { ...news, events: ["repo:push"] },
      { ...news, description: "d" },
      { ...news, secret: "rotated" },
      { ...news, bitbucketCloud: { token: "t2" } },
    ]) {
      expect(diff("{a}", { ...olds }, n)).toMatchObject({ changes: true, replaces: [] });
    }
    expect(diff("{a}", { ...olds, active: false }, news).changes).toBe(true);
    const { secret: _s, ...lost } = olds;
    expect(diff("{a}", { ...lost, secretSet: false }, news).changes).toBe(true);
    const { secret: _n, ...undeclared } = news;
    expect(diff("{a}", { ...lost, secretSet: true }, undeclared as Inputs).changes).toBe(true);
    expect(diff("{a}", { ...lost, secretSet: false }, undeclared as Inputs).changes).toBe(false);
  });
  it("treats unknown values as changes, and unknown identity as a replacement", () => {
    expect(diff("{a}", { ...olds }, { ...news, url: UNKNOWN })).toMatchObject({
      changes: true,
      replaces: [],
    });
    expect(diff("{a}", { ...olds }, { ...news, secret: UNKNOWN }).changes).toBe(true);
    expect(diff("{a}", { ...olds }, { ...news, events: UNKNOWN as unknown as string[] }).changes).toBe(true);
    expect(diff("{a}", { ...olds }, { ...news, workspace: UNKNOWN }).replaces).toEqual(["workspace"]);
  });
});

describe("upgradeOutputs", () => {
  it("reads an unversioned state with defaults", () => {
    expect(
      upgradeOutputs({ uuid: "{u}", workspace: "acme", url: "https://x", events: ["repo:push"] }, "{u}"),
    ).toEqual({
      schemaVersion: 1,
      uuid: "{u}",
      apiUrl: "https://api.bitbucket.org/2.0",
      workspace: "acme",
      url: "https://x",
      events: ["repo:push"],
      description: "",
      active: true,
      secretSet: false,
    });
  });
});

describe("SendTransport (the bitbucket client's fetch)", () => {
  let server: Awaited<ReturnType<typeof startFakeServer>>;
  beforeAll(async () => {
    process.env.SG_WEBHOOKS_RETRY_BASE_MS = "5";
    server = await startFakeServer((req) =>
      req.method === "DELETE"
        ? { status: 204 }
        : { status: 200, headers: { "content-type": "application/json" }, body: '{"a":1}' },
    );
  });
  afterAll(() => server.close());

  it("answers like fetch, with a content type even on a 204", async () => {
    const t = new SendTransport("Bitbucket Cloud", []);
    const ok = await t.fetch(`${server.url}/x`, { method: "GET", headers: { accept: "application/json" } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ a: 1 });
    expect([...ok.headers].some(([k]) => k === "content-type")).toBe(true);
    const gone = await t.fetch(`${server.url}/x`, { method: "DELETE" });
    expect(gone.status).toBe(204);
    expect(gone.headers.get("content-type")).toContain("text/plain");
    expect(await gone.text()).toBe("");
  });

  it("keeps the transport error for the caller, once", async () => {
    const t = new SendTransport("Bitbucket Cloud", []);
    await expect(t.fetch("http://127.0.0.1:9/2.0/x", { method: "GET" })).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(t.takeError()).toBeInstanceOf(ConnectionError);
    expect(t.takeError()).toBeUndefined();
  });
});

describe("the fake's test delivery", () => {
  it("POSTs repo:push to the hook URL, signed with X-Hub-Signature when a secret is set", async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/.api/webhooks/x`;
    const fake = await startBitbucketCloudFake({ deliverTestEvents: true });
    try {
      const post = (body: unknown) =>
        fetch(`${fake.apiUrl}/repositories/acme/widgets/hooks`, {
          method: "POST",
          headers: { authorization: "Bearer bbc-access-token", "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const res = await post({ url, events: ["repo:push"], secret: "It's a Secret to Everybody" });
      expect(res.status).toBe(201);
      const created = (await res.json()) as Record<string, unknown>;
      expect(created.secret).toBeUndefined();
      expect(created.secret_set).toBe(true);
      await post({ url, events: ["repo:push"] });
      expect(received).toHaveLength(2);
      const [signed, unsigned] = received;
      expect(signed!.headers["x-event-key"]).toBe("repo:push");
      expect(signed!.headers["x-hook-uuid"]).toBe(String(created.uuid).slice(1, -1));
      expect(signed!.headers["x-request-uuid"]).toMatch(/^[0-9a-f-]{36}$/);
      const expected = createHmac("sha256", "It's a Secret to Everybody").update(signed!.body).digest("hex");
      expect(signed!.headers["x-hub-signature"]).toBe(`sha256=${expected}`);
      expect(unsigned!.headers["x-hub-signature"]).toBeUndefined();
      expect(fake.deliveries.map((d) => d.outcome)).toEqual([202, 202]);

      // Bitbucket's error shape for an unknown event key, and the braces form of a hook UUID.
      const bad = await post({ url, events: ["repo:pushed"] });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({
        type: "error",
        error: { fields: { events: [expect.stringContaining("repo:pushed")] } },
      });
      const one = await fetch(
        `${fake.apiUrl}/repositories/acme/widgets/hooks/${encodeURIComponent(String(created.uuid))}`,
        {
          headers: { authorization: "Bearer bbc-access-token" },
        },
      );
      expect(one.status).toBe(200);
      const anon = await fetch(`${fake.apiUrl}/workspaces/acme/hooks`);
      expect(anon.status).toBe(401);
      expect(await anon.json()).toMatchObject({ type: "error", error: { message: expect.any(String) } });
      expect(normalizeEvents(fake.hooks("acme/widgets")[0]!.events)).toEqual(["repo:push"]);
    } finally {
      await fake.close();
      await new Promise((r) => receiver.close(r));
    }
  });
});
