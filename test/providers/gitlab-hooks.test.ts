// Proves the GitLab hook providers against GitLab's stand-in: lifecycle, adoption, retries, errors.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { groupHookProvider, projectHookProvider } from "../../providers/gitlab";
import { type GitLabFake, startGitLabFake } from "../../src/stand-ins/gitlab";

const OWNER = "glpat-owner-0123456789";
const MAINTAINER = "glpat-maint-0123456789";
const DEVELOPER = "glpat-dev-0123456789";
const SECRET = "hook-secret-abcdef-123";
const RECEIVER = "https://sg.example.com/.api/webhooks/1b2c3d4e";

let fake: GitLabFake;
let projectId: number;

const savedEnv = { ...process.env };
beforeAll(async () => {
  process.env.SG_WEBHOOKS_RETRY_BASE_MS = "5";
  fake = await startGitLabFake({
    tokens: { [OWNER]: "owner", [MAINTAINER]: "maintainer", [DEVELOPER]: "developer" },
    projects: ["acme/platform/api"],
    groups: ["acme"],
  });
  projectId = fake.projectId("acme/platform/api")!;
});
afterAll(async () => {
  await fake.close();
  process.env = savedEnv;
});
beforeEach(() => {
  delete process.env.GITLAB_TOKEN;
  delete process.env.GITLAB_URL;
  fake.clearFaults();
});
afterEach(() => {
  for (const h of fake.hooks("project", projectId)) fake.deleteHook(h.id);
  for (const h of fake.hooks("group", "acme")) fake.deleteHook(h.id);
  fake.setGroupHooksAvailable(true);
});

const projectInputs = (over: Record<string, unknown> = {}) => ({
  gitlab: { url: fake.url, token: MAINTAINER },
  project: "acme/platform/api",
  url: RECEIVER,
  secret: SECRET,
  ...over,
});

/** Every message a user could see must be free of the token and the secret. */
function expectClean(text: string) {
  for (const s of [OWNER, MAINTAINER, DEVELOPER, SECRET]) expect(text).not.toContain(s);
}

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expectClean((err as Error).message);
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe("GitLab project hook provider against the fake", () => {
  it("creates with explicit event booleans, the token and SSL flag; reads without drift; deletes", async () => {
    const { id, outs } = await projectHookProvider.create(
      projectInputs({ events: ["merge_requests_events"], enableSslVerification: false }),
    );
    const hook = fake.hook(Number(id))!;
    expect(hook.url).toBe(RECEIVER);
    expect(hook.token).toBe(SECRET);
    expect(hook.enableSslVerification).toBe(false);
    // GitLab turns push_events on when it is omitted: the provider must send false.
    expect(hook.events.push_events).toBe(false);
    expect(hook.events.merge_requests_events).toBe(true);
    expect(outs).toEqual({
      schemaVersion: 1,
      hookId: Number(id),
      gitlabUrl: fake.url,
      gitlabToken: MAINTAINER,
      project: "acme/platform/api",
      projectId,
      url: RECEIVER,
      events: ["merge_requests_events"],
      enableSslVerification: false,
      secret: SECRET,
    });
    // The path goes URL-encoded, as GitLab wants it.
    expect(fake.log.some((l) => l.path === "/api/v4/projects/acme%2Fplatform%2Fapi/hooks")).toBe(true);

    const read = await projectHookProvider.read(id, outs);
    expect(read.props).toEqual(outs);
    const diff = await projectHookProvider.diff(
      id,
      read.props!,
      projectInputs({ events: ["merge_requests_events"], enableSslVerification: false }),
    );
    expect(diff).toMatchObject({ changes: false, replaces: [] });

    await projectHookProvider.delete(id, outs);
    expect(fake.hook(Number(id))).toBeUndefined();
    // Already gone: GitLab answers 404, which is success.
    await projectHookProvider.delete(id, outs);
    expect(fake.log.at(-1)).toMatchObject({ method: "DELETE", outcome: 404 });
  });

  it("defaults to batch changes plus push events and SSL verification on", async () => {
    const { id, outs } = await projectHookProvider.create(projectInputs());
    expect(outs.events).toEqual(["merge_requests_events", "pipeline_events", "push_events"]);
    const hook = fake.hook(Number(id))!;
    const on = Object.entries(hook.events)
      .filter(([, v]) => v)
      .map(([k]) => k)
      .sort();
    expect(on).toEqual(["merge_requests_events", "pipeline_events", "push_events"]);
    expect(hook.enableSslVerification).toBe(true);
  });

  it("reports drift in URL, events and SSL flag, and a hook deleted outside Pulumi as gone", async () => {
    const { id, outs } = await projectHookProvider.create(projectInputs());
    fake.setHook(Number(id), {
      url: "https://elsewhere.example.com/hook",
      events: ["push_events"],
      enableSslVerification: false,
    });
    const read = await projectHookProvider.read(id, outs);
    expect(read.props).toMatchObject({
      url: "https://elsewhere.example.com/hook",
      events: ["push_events"],
      enableSslVerification: false,
    });
    const diff = await projectHookProvider.diff(
      id,
      read.props!,
      projectInputs({ events: outs.events, enableSslVerification: true }),
    );
    expect(diff.changes).toBe(true);
    expect(diff.replaces).toEqual([]);

    fake.deleteHook(Number(id));
    expect(await projectHookProvider.read(id, outs)).toEqual({});
  });

  it("updates in place, re-sending the token, and repairs drift", async () => {
    const { id, outs } = await projectHookProvider.create(projectInputs());
    fake.setHook(Number(id), { events: ["push_events"] });
    const drifted = (await projectHookProvider.read(id, outs)).props!;
    const news = projectInputs({ events: ["merge_requests_events", "note_events"] });
    const { outs: after } = await projectHookProvider.update(id, drifted, news);
    expect(after.events).toEqual(["merge_requests_events", "note_events"]);
    expect(after.hookId).toBe(Number(id));
    const hook = fake.hook(Number(id))!;
    expect(hook.events.note_events).toBe(true);
    expect(hook.events.push_events).toBe(false);
    expect(hook.token).toBe(SECRET);
  });

  it("keeps the secret token when the URL changes (GitLab resets it unless it is sent again)", async () => {
    const { id, outs } = await projectHookProvider.create(projectInputs());
    // The fake's contract first: a PUT with a new URL and no token resets the token.
    const probe = fake.addHook("project", projectId, {
      url: "https://probe.example.com/a",
      token: "probe-token",
    });
    const res = await fetch(`${fake.url}/api/v4/projects/${projectId}/hooks/${probe.id}`, {
      method: "PUT",
      headers: { "private-token": OWNER, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://probe.example.com/b" }),
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).not.toContain("probe-token");
    expect(fake.hook(probe.id)!.token).toBe("");
    fake.deleteHook(probe.id);

    const moved = "https://sg2.example.com/.api/webhooks/9f8e";
    const { outs: after } = await projectHookProvider.update(id, outs, projectInputs({ url: moved }));
    expect(after.url).toBe(moved);
    expect(fake.hook(Number(id))!.url).toBe(moved);
    expect(fake.hook(Number(id))!.token).toBe(SECRET);
  });

  it("clears the token when the secret is no longer declared", async () => {
    const { id, outs } = await projectHookProvider.create(projectInputs());
    const { outs: after } = await projectHookProvider.update(id, outs, projectInputs({ secret: undefined }));
    expect(fake.hook(Number(id))!.token).toBe("");
    expect(after.secret).toBeUndefined();
  });

  it("a changed token only refreshes what is stored", async () => {
    const { id, outs } = await projectHookProvider.create(projectInputs());
    const before = fake.writes().length;
    const { outs: after } = await projectHookProvider.update(
      id,
      outs,
      projectInputs({ gitlab: { url: fake.url, token: OWNER } }),
    );
    expect(after.gitlabToken).toBe(OWNER);
    expect(fake.writes().length).toBe(before);
  });

  it("adopts a hook with the same target URL instead of making a duplicate, and brings it to the declared settings", async () => {
    const existing = fake.addHook("project", projectId, {
      url: RECEIVER,
      events: ["issues_events"],
      enableSslVerification: false,
    });
    const { id, outs } = await projectHookProvider.create(projectInputs());
    expect(Number(id)).toBe(existing.id);
    expect(fake.hooks("project", projectId)).toHaveLength(1);
    const hook = fake.hook(existing.id)!;
    expect(hook.events.issues_events).toBe(false);
    expect(hook.events.pipeline_events).toBe(true);
    expect(hook.enableSslVerification).toBe(true);
    expect(hook.token).toBe(SECRET);
    expect(outs.events).toEqual(["merge_requests_events", "pipeline_events", "push_events"]);
  });

  it("finds the hook to adopt on a later page of the list", async () => {
    for (let i = 0; i < 104; i++)
      fake.addHook("project", projectId, { url: `https://other.example.com/${i}` });
    const target = fake.addHook("project", projectId, { url: RECEIVER });
    const { id } = await projectHookProvider.create(projectInputs());
    expect(Number(id)).toBe(target.id);
    expect(fake.hooks("project", projectId)).toHaveLength(105);
    expect(fake.log.some((l) => l.method === "GET" && l.path.endsWith("/hooks"))).toBe(true);
    const pages = fake.log.filter(
      (l) => l.method === "GET" && l.path === "/api/v4/projects/acme%2Fplatform%2Fapi/hooks",
    );
    expect(pages.length).toBeGreaterThanOrEqual(2);
  });

  it("accepts a numeric project ID, and treats the path and its ID as the same project", async () => {
    const { id, outs } = await projectHookProvider.create(projectInputs({ project: String(projectId) }));
    expect(fake.hook(Number(id))!.ownerId).toBe(projectId);
    const byPath = await projectHookProvider.create(projectInputs({ project: "acme/platform/api" }));
    expect(byPath.id).toBe(id); // adopted, not duplicated
    const diff = await projectHookProvider.diff(
      id,
      byPath.outs,
      projectInputs({ project: String(projectId) }),
    );
    expect(diff.replaces).toEqual([]);
    expect(outs.projectId).toBe(projectId);
  });

  it("a 429 burst with Retry-After on the create POST ends with exactly one hook, after the wait", async () => {
    fake.inject({ kind: "status", status: 429, retryAfter: 1, times: 2, match: (r) => r.method === "POST" });
    const start = fake.log.length;
    const started = Date.now();
    const { id } = await projectHookProvider.create(projectInputs());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(fake.hooks("project", projectId).map((h) => h.id)).toEqual([Number(id)]);
    expect(
      fake.log
        .slice(start)
        .filter((l) => l.method === "POST")
        .map((l) => l.outcome),
    ).toEqual([429, 429, 201]);
  });

  it("a connection dropped after the create POST was processed ends with exactly one hook", async () => {
    const start = fake.log.length;
    fake.inject({ kind: "dropAfter", match: (r) => r.method === "POST" });
    const { id } = await projectHookProvider.create(projectInputs());
    expect(fake.hooks("project", projectId).map((h) => h.id)).toEqual([Number(id)]);
    expect(fake.log.slice(start).filter((l) => l.method === "POST")).toEqual([
      {
        method: "POST",
        path: "/api/v4/projects/acme%2Fplatform%2Fapi/hooks",
        outcome: "dropped",
        fault: "dropAfter",
      },
    ]);
  });

  it("a create POST that stays ambiguous twice says the next run adopts what it may have made", async () => {
    fake.inject({ kind: "dropBefore", match: (r) => r.method === "POST", times: 2 });
    const msg = await projectHookProvider.create(projectInputs()).then(
      () => "created",
      (err: Error) => err.message,
    );
    expect(msg).toMatch(/did not answer POST .*second try: the next `pulumi up` looks again and adopts/);
    expect(fake.hooks("project", projectId)).toHaveLength(0);
  });

  it("a connection dropped before the POST was processed is followed by one more POST", async () => {
    fake.inject({ kind: "dropBefore", match: (r) => r.method === "POST" });
    const { id } = await projectHookProvider.create(projectInputs());
    expect(fake.hooks("project", projectId).map((h) => h.id)).toEqual([Number(id)]);
  });

  it("ours is the only retry layer: a GET answered 429 is tried as often as our policy says, not 10x more", async () => {
    process.env.SG_WEBHOOKS_RETRY_ATTEMPTS = "3";
    try {
      const start = fake.log.length;
      fake.inject({ kind: "status", status: 429, times: 50, match: (r) => r.method === "GET" });
      const err = await errorOf(projectHookProvider.create(projectInputs()));
      expect(err.message).toContain("429");
      expect(fake.log.slice(start).filter((l) => l.outcome === 429)).toHaveLength(3);
    } finally {
      delete process.env.SG_WEBHOOKS_RETRY_ATTEMPTS;
    }
  });

  it("uses GITLAB_TOKEN and GITLAB_URL from the environment, and does not store them", async () => {
    process.env.GITLAB_TOKEN = MAINTAINER;
    process.env.GITLAB_URL = fake.url;
    const { outs } = await projectHookProvider.create({ project: "acme/platform/api", url: RECEIVER });
    expect(outs.gitlabUrl).toBe(fake.url);
    expect(outs.gitlabToken).toBeUndefined();
    expect(JSON.stringify(outs)).not.toContain(MAINTAINER);
  });

  it("falls back to GITLAB_TOKEN when the stored token was revoked (rotation does not break destroy)", async () => {
    const temp = "glpat-temporary-999999";
    fake.setToken(temp, "maintainer");
    const { id, outs } = await projectHookProvider.create(
      projectInputs({ gitlab: { url: fake.url, token: temp } }),
    );
    fake.setToken(temp, undefined);
    process.env.GITLAB_TOKEN = MAINTAINER;
    expect((await projectHookProvider.read(id, outs)).id).toBe(id);
    await projectHookProvider.delete(id, outs);
    expect(fake.hook(Number(id))).toBeUndefined();
  });

  it("update of a hook deleted outside Pulumi says to refresh", async () => {
    const { id, outs } = await projectHookProvider.create(projectInputs());
    fake.deleteHook(Number(id));
    const err = await errorOf(
      projectHookProvider.update(id, outs, projectInputs({ events: ["push_events"] })),
    );
    expect(err.message).toBe(
      `GitLab project hook ${id} no longer exists on project "acme/platform/api" at ${fake.url}: run \`pulumi refresh\` so the next \`pulumi up\` creates it again`,
    );
  });
});

describe("GitLab errors that name the fix", () => {
  it("401 names the variable that sets the token", async () => {
    const err = await errorOf(
      projectHookProvider.create(projectInputs({ gitlab: { url: fake.url, token: "glpat-wrong-000000" } })),
    );
    expect(err.message).toBe(
      `GitLab at ${fake.url} answered 401: the token from gitlab.token is invalid, expired or revoked (set GITLAB_TOKEN or gitlab.token to a token with the api scope)`,
    );
    expect(err.message).not.toContain("glpat-wrong-000000");
    process.env.GITLAB_TOKEN = "glpat-wrong-111111";
    const fromEnv = await errorOf(projectHookProvider.create(projectInputs({ gitlab: { url: fake.url } })));
    expect(fromEnv.message).toContain("the token from GITLAB_TOKEN is invalid");
  });

  it("no token at all", async () => {
    const err = await errorOf(projectHookProvider.create(projectInputs({ gitlab: { url: fake.url } })));
    expect(err.message).toBe(
      `no GitLab token for ${fake.url}: set gitlab.token or the GITLAB_TOKEN environment variable (a token with the api scope)`,
    );
  });

  it("403: the token's user is not a Maintainer", async () => {
    const err = await errorOf(
      projectHookProvider.create(projectInputs({ gitlab: { url: fake.url, token: DEVELOPER } })),
    );
    expect(err.message).toBe(
      `GitLab at ${fake.url} answered 403 on project "acme/platform/api": managing project hooks needs the Maintainer or Owner role on the project and a token with the api scope`,
    );
  });

  it("404: the project does not exist", async () => {
    const err = await errorOf(projectHookProvider.create(projectInputs({ project: "acme/nope" })));
    expect(err.message).toBe(
      `GitLab project "acme/nope" was not found at ${fake.url} (404): check the numeric ID or full path (group/sub/project), and that the token's user is a member of it`,
    );
  });

  it("group hooks on a tier without them", async () => {
    fake.setGroupHooksAvailable(false);
    const err = await errorOf(
      groupHookProvider.create({
        gitlab: { url: fake.url, token: OWNER },
        group: "acme",
        url: RECEIVER,
        secret: SECRET,
      }),
    );
    expect(err.message).toBe(
      `group webhooks are not available on GitLab at ${fake.url}: they need GitLab Premium or Ultimate (404 on /groups/acme/hooks although group "acme" exists); use project hooks instead`,
    );
    const missing = await errorOf(
      groupHookProvider.create({ gitlab: { url: fake.url, token: OWNER }, group: "ghost", url: RECEIVER }),
    );
    expect(missing.message).toContain(`GitLab group "ghost" was not found at ${fake.url} (404)`);
  });

  it("group hooks on a tier that answers a plain 404 message on the hooks route", async () => {
    fake.inject({
      kind: "status",
      status: 404,
      body: JSON.stringify({ message: "404 Not Found" }),
      match: (r) => r.path === "/api/v4/groups/acme/hooks",
    });
    const err = await errorOf(
      groupHookProvider.create({ gitlab: { url: fake.url, token: OWNER }, group: "acme", url: RECEIVER }),
    );
    expect(err.message).toContain(`group webhooks are not available on GitLab at ${fake.url}`);
  });

  it("group hooks need the Owner role", async () => {
    const err = await errorOf(
      groupHookProvider.create({
        gitlab: { url: fake.url, token: MAINTAINER },
        group: "acme",
        url: RECEIVER,
      }),
    );
    expect(err.message).toBe(
      `GitLab at ${fake.url} answered 403 on group "acme": managing group hooks needs the Owner role on the group, a token with the api scope, and GitLab Premium or Ultimate`,
    );
  });

  it("a group that does not exist (group hooks available)", async () => {
    const err = await errorOf(
      groupHookProvider.create({ gitlab: { url: fake.url, token: OWNER }, group: "ghost", url: RECEIVER }),
    );
    expect(err.message).toBe(
      `GitLab group "ghost" was not found at ${fake.url} (404): check the numeric ID or full path (group/subgroup), and that the token's user is a member of it`,
    );
  });

  it("an unreachable instance names the server", async () => {
    process.env.SG_WEBHOOKS_RETRY_ATTEMPTS = "2";
    try {
      const err = await errorOf(
        projectHookProvider.create(projectInputs({ gitlab: { url: "http://127.0.0.1:1", token: OWNER } })),
      );
      expect(err.message).toContain("GitLab at http://127.0.0.1:1 refused the connection");
    } finally {
      delete process.env.SG_WEBHOOKS_RETRY_ATTEMPTS;
    }
  });
});

describe("GitLab group hook provider against the fake", () => {
  const groupInputs = (over: Record<string, unknown> = {}) => ({
    gitlab: { url: fake.url, token: OWNER },
    group: "acme",
    url: RECEIVER,
    secret: SECRET,
    events: ["merge_requests_events", "subgroup_events"],
    ...over,
  });

  it("runs the lifecycle with group-only events", async () => {
    const { id, outs } = await groupHookProvider.create(groupInputs());
    expect(outs).toMatchObject({
      group: "acme",
      groupId: fake.groupId("acme"),
      events: ["merge_requests_events", "subgroup_events"],
    });
    expect(fake.hook(Number(id))!.events.subgroup_events).toBe(true);
    fake.setHook(Number(id), { enableSslVerification: false });
    const read = await groupHookProvider.read(id, outs);
    expect(read.props!.enableSslVerification).toBe(false);
    const { outs: after } = await groupHookProvider.update(
      id,
      read.props!,
      groupInputs({ events: ["member_events"] }),
    );
    expect(after).toMatchObject({ events: ["member_events"], enableSslVerification: true });
    expect(fake.hook(Number(id))!.token).toBe(SECRET);
    await groupHookProvider.delete(id, after);
    expect(await groupHookProvider.read(id, after)).toEqual({});
    await groupHookProvider.delete(id, after);
  });
});

describe("test deliveries from the fake", () => {
  it("POSTs a push event with GitLab's headers to the hook URL on create and edit", async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/.api/webhooks/abc`;
    const delivering = await startGitLabFake({
      tokens: { [OWNER]: "owner" },
      projects: ["a/b"],
      deliverTestEvents: true,
    });
    try {
      const inputs = {
        gitlab: { url: delivering.url, token: OWNER },
        project: "a/b",
        url: target,
        secret: SECRET,
      };
      const { id, outs } = await projectHookProvider.create(inputs);
      await projectHookProvider.update(id, outs, { ...inputs, events: ["push_events"] });
      await delivering.deliveriesSettled();
      expect(received).toHaveLength(2);
      for (const d of received) {
        expect(d.headers["x-gitlab-event"]).toBe("Push Hook");
        expect(d.headers["x-gitlab-token"]).toBe(SECRET);
        expect(d.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
        expect(JSON.parse(d.body).object_kind).toBe("push");
      }
      expect(delivering.deliveries.map((d) => d.status)).toEqual([200, 200]);
    } finally {
      await delivering.close();
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });
});
