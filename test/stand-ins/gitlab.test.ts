// The GitLab fake's contract, checked with plain HTTP: the provider tests rely on it behaving as
// GitLab documents (gitlabhq doc/api/project_webhooks.md and group_webhooks.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitLabFake, startGitLabFake } from "../../src/stand-ins/gitlab";

const OWNER = "glpat-contract-owner";
const DEV = "glpat-contract-dev";
let fake: GitLabFake;

beforeAll(async () => {
  fake = await startGitLabFake({
    tokens: { [OWNER]: "owner", [DEV]: "developer" },
    projects: ["g/s/p"],
    groups: ["g"],
  });
});
afterAll(async () => {
  await fake.close();
});

async function api(method: string, path: string, token = OWNER, body?: unknown) {
  const res = await fetch(`${fake.url}/api/v4/${path}`, {
    method,
    headers: { "private-token": token, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe("GitLab fake contract", () => {
  it("answers GitLab's JSON errors for auth, roles and missing projects", async () => {
    expect(await api("GET", "projects/g%2Fs%2Fp/hooks", "nope")).toMatchObject({
      status: 401,
      body: { message: "401 Unauthorized" },
    });
    expect(await api("GET", "projects/g%2Fs%2Fp/hooks", DEV)).toMatchObject({
      status: 403,
      body: { message: "403 Forbidden" },
    });
    expect(await api("GET", "projects/g%2Fmissing/hooks")).toMatchObject({
      status: 404,
      body: { message: "404 Project Not Found" },
    });
    expect(await api("GET", "groups/missing/hooks")).toMatchObject({
      status: 404,
      body: { message: "404 Group Not Found" },
    });
    expect(await api("GET", "projects/g%2Fs%2Fp/hooks/999")).toMatchObject({
      status: 404,
      body: { message: "404 Not found" },
    });
  });

  it("turns push_events on when omitted, never returns the token, and 404s a DELETE of a gone hook", async () => {
    const created = await api("POST", "projects/g%2Fs%2Fp/hooks", OWNER, {
      url: "https://r.example.com/a",
      token: "t-secret",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      push_events: true,
      merge_requests_events: false,
      enable_ssl_verification: true,
    });
    expect(JSON.stringify(created.body)).not.toContain("t-secret");
    expect(fake.hook(created.body.id)!.token).toBe("t-secret");
    // Same URL, no token: the token stays; a new URL without a token resets it.
    await api("PUT", `projects/g%2Fs%2Fp/hooks/${created.body.id}`, OWNER, {
      url: "https://r.example.com/a",
    });
    expect(fake.hook(created.body.id)!.token).toBe("t-secret");
    await api("PUT", `projects/g%2Fs%2Fp/hooks/${created.body.id}`, OWNER, {
      url: "https://r.example.com/b",
    });
    expect(fake.hook(created.body.id)!.token).toBe("");
    expect(
      (await api("PUT", `projects/1/hooks/${created.body.id}`, OWNER, { push_events: false })).body,
    ).toEqual({ error: "url is missing" });
    expect((await api("DELETE", `projects/1/hooks/${created.body.id}`)).status).toBe(204);
    expect(await api("DELETE", `projects/1/hooks/${created.body.id}`)).toMatchObject({
      status: 404,
      body: { message: "404 Not found" },
    });
  });

  it("paginates with x-next-page and Link", async () => {
    for (let i = 0; i < 25; i++) fake.addHook("project", "g/s/p", { url: `https://r.example.com/${i}` });
    const first = await api("GET", "projects/g%2Fs%2Fp/hooks");
    expect(first.body).toHaveLength(20);
    expect(first.headers.get("x-next-page")).toBe("2");
    expect(first.headers.get("x-total")).toBe("25");
    expect(first.headers.get("link")).toContain('page=2&per_page=20>; rel="next"');
    const second = await api("GET", "projects/g%2Fs%2Fp/hooks?page=2&per_page=20");
    expect(second.body).toHaveLength(5);
    expect(second.headers.get("x-next-page")).toBe("");
    for (const h of fake.hooks("project", "g/s/p")) fake.deleteHook(h.id);
  });

  it("has no group hook routes on a tier without them", async () => {
    fake.setGroupHooksAvailable(false);
    expect(await api("GET", "groups/g/hooks")).toMatchObject({
      status: 404,
      body: { error: "404 Not Found" },
    });
    expect(await api("GET", "groups/g")).toMatchObject({ status: 200, body: { full_path: "g" } });
    fake.setGroupHooksAvailable(true);
    expect((await api("GET", "groups/g/hooks")).status).toBe(200);
  });
});
