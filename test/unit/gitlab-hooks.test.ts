// Proves the GitLab hook providers' pure parts: check, diff, the wire body and the state upgrade.
import { afterEach, describe, expect, it } from "vitest";
import { check, diff, HOOK_EVENTS } from "../../providers/gitlab";
import { hookBody } from "../../providers/gitlab/client";
import { upgradeOutputs } from "../../providers/gitlab/state";
import { UNKNOWN } from "../../providers/shared";

const base = { project: "acme/api", url: "https://sg.example.com/.api/webhooks/u1" };

const state = {
  schemaVersion: 1,
  hookId: 7,
  gitlabUrl: "https://gitlab.example.com",
  project: "acme/api",
  projectId: 42,
  url: "https://sg.example.com/.api/webhooks/u1",
  events: ["merge_requests_events", "pipeline_events", "push_events"],
  enableSslVerification: true,
  secret: "s3cr3t-value",
};

const news = (over: Record<string, unknown> = {}) => ({
  gitlab: { url: "https://gitlab.example.com" },
  project: "acme/api",
  url: "https://sg.example.com/.api/webhooks/u1",
  events: ["push_events", "pipeline_events", "merge_requests_events"],
  enableSslVerification: true,
  secret: "s3cr3t-value",
  ...over,
});

afterEach(() => {
  delete process.env.GITLAB_URL;
});

function reasons(scope: "project" | "group", input: Record<string, unknown>): string[] {
  return (check(input, scope).failures ?? []).map((f) => `${f.property}: ${f.reason}`);
}

describe("check", () => {
  it("applies defaults: gitlab.com, batch changes plus push, SSL on", () => {
    expect(check(base, "project").inputs).toEqual({
      gitlab: { url: "https://gitlab.com" },
      project: "acme/api",
      url: base.url,
      events: ["merge_requests_events", "pipeline_events", "push_events"],
      enableSslVerification: true,
    });
  });

  it("takes the instance from GITLAB_URL and normalizes it; numeric IDs become strings", () => {
    process.env.GITLAB_URL = "https://GitLab.Example.com/";
    const out = check({ ...base, project: 42 }, "project").inputs;
    expect(out.gitlab).toEqual({ url: "https://gitlab.example.com" });
    expect(out.project).toBe("42");
  });

  it("rejects an /api/v4 base, naming the input", () => {
    expect(reasons("project", { ...base, gitlab: { url: "https://gitlab.example.com/api/v4" } })).toEqual([
      'gitlab: gitlab.url is the instance URL such as https://gitlab.example.com, without /api/v4; got "https://gitlab.example.com/api/v4"',
    ]);
    process.env.GITLAB_URL = "not a url";
    expect(reasons("project", base)).toEqual([
      'gitlab: GITLAB_URL must be the GitLab instance URL such as https://gitlab.example.com, got "not a url"',
    ]);
  });

  it("names what a project, a group and a receiver URL must be", () => {
    expect(reasons("project", { ...base, project: "lonely" })).toEqual([
      'project: project must be a numeric project ID or its full path such as "group/sub/project", got "lonely"',
    ]);
    expect(reasons("group", { url: base.url })).toEqual([
      'group: group must be a numeric group ID or its full path such as "group/subgroup", got undefined',
    ]);
    expect(reasons("group", { url: base.url, group: "acme", project: "acme/api" })).toEqual([
      'project: a group hook takes "group", not "project"',
    ]);
    expect(reasons("project", { ...base, url: "ftp://x" })).toEqual([
      'url: url must be the absolute http(s) URL the hook delivers to (the Sourcegraph receiver URL), got "ftp://x"',
    ]);
  });

  it("lists the valid events for an unknown name and for one of the other scope", () => {
    const [unknown] = reasons("project", { ...base, events: ["push", "push_events"] });
    expect(unknown).toMatch(/^events: unknown gitlab event "push"; valid: push_events, tag_push_events, /);
    expect(reasons("project", { ...base, events: ["subgroup_events"] })).toEqual([
      `events: "subgroup_events" is not a project hook event; valid: ${HOOK_EVENTS.project.join(", ")}`,
    ]);
    expect(check({ url: base.url, group: "acme", events: ["subgroup_events"] }, "group").failures).toEqual(
      [],
    );
    expect(reasons("project", { ...base, events: [] })).toEqual([
      `events: events must be a non-empty list of gitlab event names; valid: ${HOOK_EVENTS.project.join(", ")}`,
    ]);
    expect(HOOK_EVENTS.project).not.toContain("repository_update_events");
    expect(HOOK_EVENTS.group).toEqual(
      expect.arrayContaining(["member_events", "project_events", "subgroup_events"]),
    );
  });

  it("checks the secret, the token and the SSL flag", () => {
    expect(reasons("project", { ...base, secret: "" })).toEqual([
      "secret: secret must be a non-empty string (GitLab's secret token), or omitted for no token",
    ]);
    expect(reasons("project", { ...base, secret: "a\nb" })).toEqual([
      "secret: secret must not contain line breaks (GitLab strips them from the X-Gitlab-Token header)",
    ]);
    expect(reasons("project", { ...base, gitlab: { token: "" } })).toEqual([
      "gitlab: gitlab.token must be a non-empty string (a GitLab access token with the api scope)",
    ]);
    expect(reasons("project", { ...base, enableSslVerification: "yes" })).toEqual([
      "enableSslVerification: enableSslVerification must be true or false",
    ]);
  });

  it("lets values unknown during preview pass", () => {
    const out = check(
      {
        gitlab: UNKNOWN,
        project: UNKNOWN,
        url: UNKNOWN,
        secret: UNKNOWN,
        events: [UNKNOWN],
        enableSslVerification: UNKNOWN,
      },
      "project",
    );
    expect(out.failures).toEqual([]);
    expect(out.inputs.url).toBe(UNKNOWN);
    expect(out.inputs.events).toEqual([UNKNOWN]);
  });
});

describe("diff", () => {
  it("no changes when only the event order differs", () => {
    expect(diff("1", state, news(), "project")).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("replaces on instance or project change, deleting first", () => {
    expect(diff("1", state, news({ gitlab: { url: "https://other.example.com" } }), "project")).toEqual({
      changes: true,
      replaces: ["gitlab"],
      deleteBeforeReplace: true,
    });
    expect(diff("1", state, news({ project: "acme/web" }), "project").replaces).toEqual(["project"]);
    // The project's own numeric ID is the same project.
    expect(diff("1", state, news({ project: "42" }), "project").changes).toBe(false);
    expect(
      diff(
        "1",
        { ...state, project: undefined, group: "acme", groupId: 9 },
        news({ project: undefined, group: "acme2" }),
        "group",
      ).replaces,
    ).toEqual(["group"]);
  });

  it("changes in place: url, events, SSL flag, secret, token", () => {
    for (const over of [
      { url: "https://sg.example.com/.api/webhooks/u2" },
      { events: ["push_events"] },
      { enableSslVerification: false },
      { secret: "other-secret" },
      { secret: undefined },
      { gitlab: { url: "https://gitlab.example.com", token: "glpat-new" } },
    ]) {
      expect(diff("1", state, news(over), "project"), JSON.stringify(over)).toEqual({
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
    }
  });

  it("treats unknown values as changes, and unknown owners or instances as replacements", () => {
    expect(diff("1", state, news({ url: UNKNOWN }), "project").changes).toBe(true);
    expect(diff("1", state, news({ events: UNKNOWN }), "project").changes).toBe(true);
    expect(diff("1", state, news({ project: UNKNOWN }), "project").replaces).toEqual(["project"]);
    expect(diff("1", state, news({ gitlab: UNKNOWN }), "project").replaces).toEqual(["gitlab"]);
    expect(
      diff("1", state, news({ gitlab: { url: UNKNOWN, token: "glpat-x" } }), "project").replaces,
    ).toEqual(["gitlab"]);
  });

  it("an unknown token on the same instance is an in-place change, not a replacement", () => {
    // A token from another resource's output is unknown during preview; the instance is known.
    expect(
      diff("1", state, news({ gitlab: { url: "https://gitlab.example.com", token: UNKNOWN } }), "project"),
    ).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
});

describe("wire body and state", () => {
  it("sends every event field of the scope as a boolean and always the token", () => {
    const body = hookBody("project", {
      url: "u",
      events: ["merge_requests_events"],
      enableSslVerification: true,
    });
    expect(body.push_events).toBe(false);
    expect(body.merge_requests_events).toBe(true);
    expect(body.token).toBe("");
    expect(Object.keys(body)).toHaveLength(HOOK_EVENTS.project.length + 2);
    expect(
      hookBody("group", { url: "u", events: [], enableSslVerification: false, secret: "t0k3n" }),
    ).toMatchObject({
      subgroup_events: false,
      enable_ssl_verification: false,
      token: "t0k3n",
    });
  });

  it("upgrades a state without schemaVersion", () => {
    expect(upgradeOutputs({ hookId: "7", url: "https://x", project: "a/b" }, "7")).toMatchObject({
      schemaVersion: 1,
      hookId: 7,
      gitlabUrl: "https://gitlab.com",
      events: [],
      enableSslVerification: true,
    });
  });
});
