// The GitLab stand-in's hook tests, hook events, resend and auto-disabling, checked with plain HTTP
// against GitLab's documented behaviour (reference/delivery-verification.md A2): doctor's probe and
// redeliver are tested against these, so they must refuse what GitLab refuses.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type GitLabFake, startGitLabFake } from "../../src/stand-ins/gitlab";
import { startTestReceiver, type TestReceiver } from "./receiver-server";

const TOKEN = "glpat-hooks-owner";
const OTHER = "glpat-hooks-other";
let gl: GitLabFake;
let rx: TestReceiver;

beforeAll(async () => {
  rx = await startTestReceiver();
  gl = await startGitLabFake({
    tokens: { [TOKEN]: "owner", [OTHER]: "owner" },
    projects: ["grp/app", "grp/lib"],
    groups: ["grp"],
  });
});
afterAll(async () => {
  await gl.close();
  await rx.close();
});
beforeEach(() => {
  rx.answer = { status: 200 };
  gl.setVersion("18.3.0");
});

async function api(method: string, path: string, token = TOKEN) {
  const res = await fetch(`${gl.url}/api/v4/${path}`, { method, headers: { "private-token": token } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const hookOn = (
  scope: "project" | "group",
  owner: string,
  events = ["push_events", "merge_requests_events"],
) => gl.addHook(scope, owner, { url: `${rx.url}/${scope}`, token: "hook-token", events });

describe("GitLab stand-in: hook tests", () => {
  it("answers its version to a token holder only", async () => {
    expect((await api("GET", "version", "nope")).status).toBe(401);
    expect((await api("GET", "version")).body).toEqual({ version: "18.3.0", revision: "stand-in" });
  });

  it("has the test route from 16.11 for projects and 17.1 for groups (404 before)", async () => {
    const p = hookOn("project", "grp/lib");
    const g = hookOn("group", "grp");
    gl.setVersion("16.0.0");
    expect(await api("POST", `projects/grp%2Flib/hooks/${p.id}/test/push_events`)).toMatchObject({
      status: 404,
      body: { error: "404 Not Found" },
    });
    gl.setVersion("16.11.0");
    expect((await api("POST", `projects/grp%2Flib/hooks/${p.id}/test/push_events`)).status).toBe(201);
    expect((await api("POST", `groups/grp/hooks/${g.id}/test/push_events`)).status).toBe(404);
    gl.setVersion("17.1.0");
    expect((await api("POST", `groups/grp/hooks/${g.id}/test/push_events`)).status).toBe(201);
    gl.deleteHook(p.id);
    gl.deleteHook(g.id);
  });

  it("sends a push with the project's data and answers 201 on a 2xx, else 422 with the receiver's body", async () => {
    const h = hookOn("project", "grp/app");
    const before = rx.received.length;
    expect(await api("POST", `projects/grp%2Fapp/hooks/${h.id}/test/push_events`)).toMatchObject({
      status: 201,
      body: { message: "201 Created" },
    });
    const sent = rx.received[before]!;
    expect(sent.headers).toMatchObject({
      "x-gitlab-event": "Push Hook",
      "x-gitlab-token": "hook-token",
      "content-type": "application/json",
    });
    expect(sent.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    const body = JSON.parse(sent.body.toString());
    expect(body).toMatchObject({ object_kind: "push", project: { path_with_namespace: "grp/app" } });
    expect(body.repository.git_ssh_url).toMatch(/:grp\/app\.git$/);
    rx.answer = { status: 500, body: "could not determine repo from CloneURL" };
    expect(await api("POST", `projects/grp%2Fapp/hooks/${h.id}/test/push_events`, OTHER)).toMatchObject({
      status: 422,
      body: { message: "could not determine repo from CloneURL" },
    });
    expect((await api("POST", `projects/grp%2Fapp/hooks/${h.id}/test/bogus_events`, OTHER)).status).toBe(400);
    gl.deleteHook(h.id);
  });

  it("tests merge requests with the newest one, or 400 when the project has none", async () => {
    const h = hookOn("project", "grp/lib");
    expect(await api("POST", `projects/grp%2Flib/hooks/${h.id}/test/merge_requests_events`)).toMatchObject({
      status: 400,
      body: { message: "Ensure the project has merge requests." },
    });
    gl.addMergeRequest("grp/lib", "first");
    gl.addMergeRequest("grp/lib", "newest");
    expect((await api("GET", "projects/grp%2Flib/merge_requests?per_page=1")).body).toMatchObject([
      { title: "newest" },
    ]);
    const before = rx.received.length;
    expect((await api("POST", `projects/grp%2Flib/hooks/${h.id}/test/merge_requests_events`)).status).toBe(
      201,
    );
    const sent = rx.received[before]!;
    expect(sent.headers["x-gitlab-event"]).toBe("Merge Request Hook");
    expect(JSON.parse(sent.body.toString()).object_attributes).toMatchObject({
      title: "newest",
      action: "open",
    });
    gl.deleteHook(h.id);
  });

  it("allows 5 tests a minute per user and project, then 429", async () => {
    const limited = await startGitLabFake({
      tokens: { [TOKEN]: "owner", [OTHER]: "owner" },
      projects: ["a/b"],
    });
    try {
      const h = limited.addHook("project", "a/b", { url: `${rx.url}/limited` });
      const test = (token: string) =>
        fetch(`${limited.url}/api/v4/projects/a%2Fb/hooks/${h.id}/test/push_events`, {
          method: "POST",
          headers: { "private-token": token },
        });
      for (let i = 0; i < 5; i++) expect((await test(TOKEN)).status).toBe(201);
      const refused = await test(TOKEN);
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual({
        message: { error: "This endpoint has been requested too many times. Try again later." },
      });
      expect((await test(OTHER)).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});

describe("GitLab stand-in: hook events and resend", () => {
  it("lists executions from 17.3, newest first, the token redacted, by status and at most 20 a page", async () => {
    const h = hookOn("project", "grp/app");
    await gl.emit("project", "grp/app", "push_events");
    rx.answer = { status: 404, body: "nope" };
    await gl.emit("project", "grp/app", "push_events");
    await gl.emit("project", "grp/app", "push_events");
    gl.setVersion("17.2.0");
    expect((await api("GET", `projects/grp%2Fapp/hooks/${h.id}/events`)).status).toBe(404);
    gl.setVersion("17.3.0");
    const all = await api("GET", `projects/grp%2Fapp/hooks/${h.id}/events`);
    expect(all.body).toHaveLength(3);
    expect(all.body.map((e: { response_status: string }) => e.response_status)).toEqual([
      "404",
      "404",
      "200",
    ]);
    expect(all.body[0]).toMatchObject({
      trigger: "push_hooks",
      url: `${rx.url}/project`,
      response_body: "nope",
      request_data: { object_kind: "push" },
    });
    expect(all.body[0].request_headers["X-Gitlab-Token"]).toBe("[REDACTED]");
    expect(JSON.stringify(all.body)).not.toContain("hook-token");
    expect((await api("GET", `projects/grp%2Fapp/hooks/${h.id}/events?status=successful`)).body).toHaveLength(
      1,
    );
    expect(
      (await api("GET", `projects/grp%2Fapp/hooks/${h.id}/events?status=client_failure,server_failure`)).body,
    ).toHaveLength(2);
    expect((await api("GET", `projects/grp%2Fapp/hooks/${h.id}/events?per_page=21`)).status).toBe(400);
    const page = await api("GET", `projects/grp%2Fapp/hooks/${h.id}/events?per_page=2`);
    expect(page.body).toHaveLength(2);
    expect(page.headers.get("x-next-page")).toBe("2");
    gl.deleteHook(h.id);
  });

  it("resends from 17.4 with the same Idempotency-Key: 201 with the status, 422 when it fails again", async () => {
    const h = hookOn("project", "grp/lib");
    rx.answer = { status: 503, body: "down" };
    const [failed] = await gl.emit("project", "grp/lib", "push_events");
    const event = failed!.log;
    gl.setVersion("17.3.0");
    expect((await api("POST", `projects/grp%2Flib/hooks/${h.id}/events/${event.id}/resend`)).status).toBe(
      404,
    );
    gl.setVersion("17.4.0");
    expect(await api("POST", `projects/grp%2Flib/hooks/${h.id}/events/${event.id}/resend`)).toMatchObject({
      status: 422,
      body: { message: "down" },
    });
    rx.answer = { status: 200 };
    const before = rx.received.length;
    expect(await api("POST", `projects/grp%2Flib/hooks/${h.id}/events/${event.id}/resend`)).toMatchObject({
      status: 201,
      body: { response_status: 200 },
    });
    expect(rx.received[before]!.headers["idempotency-key"]).toBe(event.idempotencyKey);
    expect(rx.received[before]!.body.toString()).toBe(JSON.stringify(event.requestData));
    expect((await api("POST", `projects/grp%2Flib/hooks/${h.id}/events/999999/resend`)).status).toBe(404);
    gl.deleteHook(h.id);
  });
});

describe("GitLab stand-in: a hook that disables itself", () => {
  it("is temporarily disabled after 4 failures in a row, for good after 40, and executable again after a success", async () => {
    const h = hookOn("project", "grp/app", ["push_events"]);
    const read = async () => (await api("GET", `projects/grp%2Fapp/hooks/${h.id}`)).body;
    rx.answer = { status: 500 };
    for (let i = 0; i < 3; i++) await gl.emit("project", "grp/app", "push_events");
    expect(await read()).toMatchObject({ alert_status: "executable", disabled_until: null });
    await gl.emit("project", "grp/app", "push_events");
    const disabled = await read();
    expect(disabled.alert_status).toBe("temporarily_disabled");
    const until = Date.parse(disabled.disabled_until);
    expect(until).toBeGreaterThan(Date.now() + 50_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 60_000);
    // A disabled hook gets no events.
    expect(await gl.emit("project", "grp/app", "push_events")).toHaveLength(0);
    // Tests are forced through a disabled hook; 36 more failures (40 in a row) disable it for good.
    const hard = await startGitLabFake({
      tokens: { [TOKEN]: "owner" },
      projects: ["x/z"],
      hookRateLimit: { limit: 100 },
    });
    try {
      const k = hard.addHook("project", "x/z", { url: `${rx.url}/hard`, events: ["push_events"] });
      const test = () =>
        fetch(`${hard.url}/api/v4/projects/x%2Fz/hooks/${k.id}/test/push_events`, {
          method: "POST",
          headers: { "private-token": TOKEN },
        });
      for (let i = 0; i < 39; i++) expect((await test()).status).toBe(422);
      expect(hard.hook(k.id)!.health.recentFailures).toBe(39);
      await test();
      const gone = await (
        await fetch(`${hard.url}/api/v4/projects/x%2Fz/hooks/${k.id}`, {
          headers: { "private-token": TOKEN },
        })
      ).json();
      expect(gone).toMatchObject({ alert_status: "disabled", disabled_until: null });
    } finally {
      await hard.close();
    }
    rx.answer = { status: 200 };
    const fresh = await startGitLabFake({ tokens: { [TOKEN]: "owner" }, projects: ["x/y"] });
    try {
      const again = fresh.addHook("project", "x/y", { url: `${rx.url}/again`, events: ["push_events"] });
      fresh.disableHook(again.id, "permanently");
      expect(
        (
          await fetch(`${fresh.url}/api/v4/projects/x%2Fy/hooks/${again.id}/test/push_events`, {
            method: "POST",
            headers: { "private-token": TOKEN },
          })
        ).status,
      ).toBe(201);
      expect(fresh.hook(again.id)!.health).toEqual({
        recentFailures: 0,
        backoffCount: 0,
        disabledUntil: null,
      });
    } finally {
      await fresh.close();
    }
    gl.deleteHook(h.id);
  });
});
