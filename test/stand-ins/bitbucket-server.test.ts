// The plugin fake holds the contract of the Sourcegraph Bitbucket Server plugin's WebhookRouter.java,
// so provider tests that pass against it mean something.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BitbucketServerFake,
  PLUGIN_PATH,
  startBitbucketServerFake,
} from "../../src/stand-ins/bitbucket-server";
import { type FakeServer, startFakeServer } from "../../src/stand-ins/server";

// From the plugin's README (src/main/java/com/sourcegraph/webhook/README.md) and Dispatcher.java's
// signing: a create request and the ping delivered after it.
const examples = {
  createRequest: {
    body: {
      name: "sourcegraph-webhook",
      scope: "global",
      events: ["repo:refs_changed", "repo:build_status", "pr:activity:event"],
      endpoint: "https://sourcegraph.example.com/.api/webhooks/54104dbb-0b71-4a83-aa6b-eef46241614a",
      secret: "verylongsecret",
    },
  },
  pingDeliveryAfterCreate: {
    headers: { "X-Hub-Signature": "sha256=892ba7ba7cc44be334edd2ad41a51728a3fab1b7f74968194e350a78c971f298" },
    body: "{}",
  },
};

let bbs: BitbucketServerFake;
let receiver: FakeServer;
const received: Array<{ headers: Record<string, unknown>; body: string }> = [];

beforeAll(async () => {
  receiver = await startFakeServer((req) => {
    received.push({ headers: req.headers, body: req.body.toString("utf8") });
    return { status: 200 };
  });
  bbs = await startBitbucketServerFake({ deliverTestEvents: true });
});
afterAll(async () => {
  await bbs.close();
  await receiver.close();
});

const ADMIN = { authorization: "Bearer bbs-admin-token" };
const basic = (u: string, p: string) => ({
  authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`,
});

async function call(method: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(`${bbs.url}${PLUGIN_PATH}`, { method, headers, body });
  return { status: res.status, body: await res.text() };
}
const post = (body: unknown, headers: Record<string, string> = ADMIN) =>
  call(
    "POST",
    { ...headers, "content-type": "application/json" },
    typeof body === "string" ? body : JSON.stringify(body),
  );
const del = (form: string, headers: Record<string, string> = ADMIN) =>
  call("DELETE", { ...headers, "content-type": "application/x-www-form-urlencoded" }, form);

describe("Bitbucket Server plugin fake", () => {
  it("answers 401 with an empty body to anyone but a system administrator", async () => {
    expect(await call("GET", {})).toEqual({ status: 401, body: "" });
    expect(await call("GET", { authorization: "Bearer bbs-user-token" })).toEqual({ status: 401, body: "" });
    expect(await call("GET", basic("alice", "alice-password"))).toEqual({ status: 401, body: "" });
    expect(await call("GET", basic("admin", "wrong"))).toEqual({ status: 401, body: "" });
    expect((await call("GET", basic("admin", "admin-password"))).status).toBe(200);
    expect((await post({ name: "x" }, { authorization: "Bearer bbs-user-token" })).status).toBe(401);
  });

  it("answers 404 on the path when the plugin is not installed", async () => {
    bbs.setPluginInstalled(false);
    expect((await call("GET", ADMIN)).status).toBe(404);
    bbs.setPluginInstalled(true);
  });

  it("upserts by name with 204 and no body, and GET lists secrets with numeric ids", async () => {
    const body = { ...examples.createRequest.body, endpoint: `${receiver.url}/.api/webhooks/x` };
    expect(await post(body)).toEqual({ status: 204, body: "" });
    expect(await post({ ...body, events: ["repo:refs_changed", " pr "] })).toEqual({ status: 204, body: "" });
    const list = JSON.parse((await call("GET", ADMIN)).body);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: 1, name: body.name, scope: "global", secret: "verylongsecret" });
    expect(typeof list[0].id).toBe("number");
    expect(list[0].events.sort()).toEqual(["pr", "repo:refs_changed"]);
  });

  it("pings the endpoint on each POST, signed as the plugin's Dispatcher signs it", async () => {
    await bbs.settled();
    expect(received.length).toBeGreaterThanOrEqual(2);
    const ping = examples.pingDeliveryAfterCreate;
    expect(received[0]!.body).toBe(ping.body);
    expect(received[0]!.headers["x-event-key"]).toBe("ping");
    expect(received[0]!.headers["x-hub-signature"]).toBe(ping.headers["X-Hub-Signature"]);
    expect(received[0]!.headers["x-hook-id"]).toBe("1");
    expect(bbs.webhooks()[0]!.lastEvent).toBeDefined();
  });

  it("answers the documented errors", async () => {
    const ok = { name: "n", scope: "global", events: ["pr"], endpoint: "https://e", secret: "s" };
    expect(await post("{not json")).toEqual({ status: 400, body: "Invalid JSON" });
    expect(await post("null")).toEqual({ status: 400, body: "Invalid JSON" });
    expect(await post({ ...ok, name: "" })).toEqual({ status: 422, body: "Name is required." });
    expect((await post({ ...ok, name: undefined })).status).toBe(500);
    expect(await post({ ...ok, scope: undefined })).toEqual({ status: 422, body: "Missing scope" });
    expect(await post({ ...ok, scope: "foo" })).toEqual({ status: 422, body: "Invalid scope: foo" });
    expect(await post({ ...ok, scope: "project:Unknown Project" })).toEqual({
      status: 404,
      body: "No such project: Unknown Project",
    });
    expect(await post({ ...ok, scope: "repository:PROJ/unknown" })).toEqual({
      status: 404,
      body: "No such repository: PROJ/unknown",
    });
    expect((await post({ ...ok, scope: "repository:PROJ" })).status).toBe(500);
    expect((await post({ ...ok, events: null })).status).toBe(500);
    expect(
      (await call("POST", { ...ADMIN, "content-type": "application/x-www-form-urlencoded" }, "name=n"))
        .status,
    ).toBe(415);
    expect(bbs.webhook("n")).toBeUndefined();
  });

  it("re-resolves project and repository scopes to names on GET", async () => {
    const ok = { events: ["repo"], endpoint: "https://e", secret: "s" };
    await post({ ...ok, name: "p", scope: "project:Project One" });
    await post({ ...ok, name: "r", scope: "repository:PROJ/repo-two" });
    expect(bbs.webhook("p")!.scope).toBe("project:Project One");
    expect(bbs.webhook("r")!.scope).toBe("repository:Project One/Repo Two");
    bbs.projects[0]!.name = "Renamed";
    expect(bbs.webhook("p")!.scope).toBe("project:Renamed");
    bbs.projects[0]!.name = "Project One";
  });

  it("deletes by form name or id (name wins), with 204 even when nothing matched", async () => {
    const ok = { scope: "global", events: ["repo"], endpoint: "https://e", secret: "s" };
    await post({ ...ok, name: "d1" });
    await post({ ...ok, name: "d2" });
    const id2 = bbs.webhook("d2")!.id;
    expect(await del(`name=d1&id=${id2}`)).toEqual({ status: 204, body: "" });
    expect(bbs.webhook("d1")).toBeUndefined();
    expect(bbs.webhook("d2")).toBeDefined();
    expect(await del(`id=${id2}`)).toEqual({ status: 204, body: "" });
    expect(bbs.webhook("d2")).toBeUndefined();
    expect(await del("name=never-existed")).toEqual({ status: 204, body: "" });
    expect(await del("")).toEqual({ status: 204, body: "" });
    expect(
      (await call("DELETE", { ...ADMIN, "content-type": "application/json" }, '{"name":"p"}')).status,
    ).toBe(415);
    expect((await del("name=p", { authorization: "Bearer bbs-user-token" })).status).toBe(401);
    expect(bbs.webhook("p")).toBeDefined();
  });
});
