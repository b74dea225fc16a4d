// Proves the component end to end: each dynamic resource through the real provider host to the stand-ins.
// The component end to end: its program runs under mocks, and every dynamic resource goes through
// the real dynamic-provider host to the fakes, so hooks receive the receiver's real URL and secret.
// GitHub hooks are echoed by the mocks only (the GitHub provider plugin is not available here).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SourcegraphWebhooks, type SourcegraphWebhooksArgs } from "../../src/components/sourcegraph-webhooks";
import { type BitbucketCloudFake, startBitbucketCloudFake } from "../../src/stand-ins/bitbucket-cloud";
import { type BitbucketServerFake, startBitbucketServerFake } from "../../src/stand-ins/bitbucket-server";
import { type GitLabFake, startGitLabFake } from "../../src/stand-ins/gitlab";
import type { FakeServer } from "../../src/stand-ins/server";
import { ADMIN_TOKEN, type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { Deployment } from "../harness/deployment";
import { type ProviderHost, startHost } from "../harness/provider-host";

const GITLAB_TOKEN = "glpat-fake-owner";

let sg: SourcegraphFake;
let gl: GitLabFake;
let bbs: BitbucketServerFake;
let bbc: BitbucketCloudFake;
let host: ProviderHost;
let engine: Deployment;

beforeAll(async () => {
  sg = await startSourcegraphFake();
  gl = await startGitLabFake({ tokens: { [GITLAB_TOKEN]: "owner" }, projects: ["grp/app"], groups: ["grp"] });
  bbs = await startBitbucketServerFake();
  bbc = await startBitbucketCloudFake();
  // No credentials in the host's environment: everything comes from the declaration.
  host = await startHost();
  engine = new Deployment(host);
});

afterAll(async () => {
  await host?.close();
  await Promise.all([sg?.close(), gl?.close(), bbs?.close(), bbc?.close()]);
});

function declaration(
  gitlabFeatures: ("batchChanges" | "push")[] = ["batchChanges", "push"],
): SourcegraphWebhooksArgs {
  return {
    sourcegraph: { endpoint: sg.url, accessToken: ADMIN_TOKEN },
    github: [{ organizations: ["acme"] }],
    gitlab: [
      {
        name: "gl",
        url: gl.url,
        token: GITLAB_TOKEN,
        projects: ["grp/app"],
        groups: ["grp"],
        features: gitlabFeatures,
      },
    ],
    bitbucketServer: [{ name: "bbs", url: bbs.url, token: "bbs-admin-token" }],
    bitbucketCloud: [
      { apiUrl: bbc.apiUrl, token: "bbc-access-token", workspaces: ["acme"], repositories: ["acme/widgets"] },
    ],
  };
}

const servers = (): Record<string, FakeServer> => ({
  sourcegraph: sg,
  gitlab: gl,
  bitbucketServer: bbs.server,
  bitbucketCloud: bbc.server,
});
const counts = () => Object.fromEntries(Object.entries(servers()).map(([k, s]) => [k, s.writes().length]));
const receiverOf = (kind: string) => sg.receivers().find((r) => r.codeHostKind === kind)!;
const receiverUrl = (kind: string) => `${sg.url}/.api/webhooks/${receiverOf(kind).uuid}`;

describe("SourcegraphWebhooks through the real dynamic-provider host", () => {
  it("up creates a receiver per connection and every hook with its receiver's URL and secret", async () => {
    const steps = await engine.up(() => new SourcegraphWebhooks("sg", declaration()));
    expect(steps.filter((s) => s.op === "create")).toHaveLength(4 + 2 + 1 + 2);

    expect(
      sg
        .receivers()
        .map((r) => r.codeHostKind)
        .sort(),
    ).toEqual(["BITBUCKETCLOUD", "BITBUCKETSERVER", "GITHUB", "GITLAB"]);
    for (const r of sg.receivers()) {
      expect(r.secret).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(r.name).toMatch(/^sgw-test-sg-/);
    }
    expect(receiverOf("GITLAB").codeHostURN).toBe(`${gl.url}/`);

    const gitlab = receiverOf("GITLAB");
    const hooks = [...gl.hooks("project", "grp/app"), ...gl.hooks("group", "grp")];
    expect(hooks).toHaveLength(2);
    for (const h of hooks) {
      expect(h.url).toBe(receiverUrl("GITLAB"));
      expect(h.token).toBe(gitlab.secret);
      expect(h.events).toMatchObject({
        merge_requests_events: true,
        pipeline_events: true,
        push_events: true,
      });
    }

    const [plugin] = bbs.webhooks();
    expect(bbs.webhooks()).toHaveLength(1);
    expect(plugin!.scope).toBe("global");
    expect(plugin!.endpoint).toBe(receiverUrl("BITBUCKETSERVER"));
    expect(plugin!.secret).toBe(receiverOf("BITBUCKETSERVER").secret);
    expect(plugin!.name).toBe("sgw-test-sg-bitbucketServer-bbs-global");

    const cloud = bbc.hooks();
    expect(cloud.map((h) => h.repository ?? "(workspace)").sort()).toEqual(["(workspace)", "widgets"]);
    for (const h of cloud) {
      expect(h.url).toBe(receiverUrl("BITBUCKETCLOUD"));
      expect(h.secret).toBe(receiverOf("BITBUCKETCLOUD").secret);
    }
  });

  it("a second up with the same declaration is a no-op: no write reaches any fake", async () => {
    const before = counts();
    const logs = Object.fromEntries(Object.entries(servers()).map(([k, s]) => [k, s.log.length]));
    const steps = await engine.up(() => new SourcegraphWebhooks("sg", declaration()));
    expect(steps.map((s) => s.op)).toEqual(Array(9).fill("same"));
    expect(counts()).toEqual(before);
    // Check and diff are local: not even a read.
    expect(Object.fromEntries(Object.entries(servers()).map(([k, s]) => [k, s.log.length]))).toEqual(logs);
  });

  it("a changed event list updates only the hooks of that connection, in place", async () => {
    const before = counts();
    const ids = [...gl.hooks("project", "grp/app"), ...gl.hooks("group", "grp")].map((h) => h.id);
    const steps = await engine.up(() => new SourcegraphWebhooks("sg", declaration(["push"])));
    const changed = steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);
    expect(changed.sort()).toEqual(["update sg-gitlab-gl-group-grp", "update sg-gitlab-gl-project-grp/app"]);
    const hooks = [...gl.hooks("project", "grp/app"), ...gl.hooks("group", "grp")];
    expect(hooks.map((h) => h.id)).toEqual(ids);
    for (const h of hooks) {
      expect(h.events).toMatchObject({
        merge_requests_events: false,
        pipeline_events: false,
        push_events: true,
      });
      expect(h.token).toBe(receiverOf("GITLAB").secret);
    }
    const after = counts();
    expect(after.gitlab).toBeGreaterThan(before.gitlab!);
    expect({ ...after, gitlab: 0 }).toEqual({ ...before, gitlab: 0 });
  });

  it("a connection removed from the declaration is deleted, hooks first, and nothing else is touched", async () => {
    const before = counts();
    const { bitbucketCloud: _dropped, ...rest } = declaration(["push"]);
    const steps = await engine.up(() => new SourcegraphWebhooks("sg", rest));
    const deleted = steps.filter((s) => s.op === "delete").map((s) => s.urn.split("::").pop());
    expect(deleted.slice(0, 2).sort()).toEqual([
      "sg-bitbucketCloud-bitbucket.org-repo-acme/widgets",
      "sg-bitbucketCloud-bitbucket.org-workspace-acme",
    ]);
    expect(deleted.slice(2)).toEqual(["sg-bitbucketCloud-bitbucket.org"]);
    expect(steps.filter((s) => s.op !== "delete" && s.op !== "same")).toEqual([]);
    expect(bbc.hooks()).toEqual([]);
    expect(
      sg
        .receivers()
        .map((r) => r.codeHostKind)
        .sort(),
    ).toEqual(["BITBUCKETSERVER", "GITHUB", "GITLAB"]);
    const after = counts();
    expect({ ...after, sourcegraph: 0, bitbucketCloud: 0 }).toEqual({
      ...before,
      sourcegraph: 0,
      bitbucketCloud: 0,
    });
  });

  it("destroy deletes hooks before their receivers and leaves every fake empty", async () => {
    const created = engine.state.map((r) => r.urn);
    const steps = await engine.destroy();
    expect(steps.every((s) => s.op === "delete")).toBe(true);
    expect(steps.map((s) => s.urn)).toEqual([...created].reverse());
    const position = (part: string) => steps.findIndex((s) => s.urn.endsWith(part));
    expect(position("::sg-gitlab-gl")).toBeGreaterThan(position("::sg-gitlab-gl-project-grp/app"));
    expect(position("::sg-gitlab-gl")).toBeGreaterThan(position("::sg-gitlab-gl-group-grp"));

    expect(sg.receivers()).toEqual([]);
    expect(gl.hooks("project", "grp/app")).toEqual([]);
    expect(gl.hooks("group", "grp")).toEqual([]);
    expect(bbs.webhooks()).toEqual([]);
    expect(bbc.hooks()).toEqual([]);
    expect(engine.state).toEqual([]);
    for (const line of host.stderr) {
      expect(line).not.toContain(ADMIN_TOKEN);
      expect(line).not.toContain(GITLAB_TOKEN);
    }
  });
});
