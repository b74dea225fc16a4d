// Proves SourcegraphWebhooks registers a receiver per connection and every hook with its URL, events and secret.
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { events } from "../../src";
import {
  DeclarationError,
  declarationProblems,
  InvalidDeclarationError,
  SourcegraphWebhooks,
  type SourcegraphWebhooksArgs,
} from "../../src/components/sourcegraph-webhooks";
import { installMocks, isSecretValue, type Registered, resolved, unsecret } from "../harness/mock-engine";

const COMPONENT = "sourcegraph-webhooks:index:SourcegraphWebhooks";
const RECEIVER = "pulumi-nodejs:dynamic/sourcegraph:Receiver";
const ORG_HOOK = "github:index/organizationWebhook:OrganizationWebhook";
const REPO_HOOK = "github:index/repositoryWebhook:RepositoryWebhook";
const GITHUB_PROVIDER = "pulumi:providers:github";

let registered: Registered[];

beforeAll(async () => {
  registered = await installMocks();
});
beforeEach(() => {
  registered.length = 0;
});

/** Builds the component and waits until every child has reached the mocks. */
async function build(name: string, args: SourcegraphWebhooksArgs): Promise<SourcegraphWebhooks> {
  const c = new SourcegraphWebhooks(name, args);
  const children: pulumi.Resource[] = [
    ...Object.values(c.receiverResources),
    ...Object.values(c.githubOrganizationWebhooks),
    ...Object.values(c.githubRepositoryWebhooks),
    ...Object.values(c.gitlabProjectHooks),
    ...Object.values(c.gitlabGroupHooks),
    ...Object.values(c.bitbucketServerWebhooks),
    ...Object.values(c.bitbucketCloudWebhooks),
  ];
  await Promise.all([resolved(c.urn), resolved(c.receivers), ...children.map((r) => resolved(r.urn))]);
  await resolved(c.relayReceiversFile);
  return c;
}

function only(type: string): Registered[] {
  return registered.filter((r) => r.type === type);
}

function one(type: string, name: string): Registered {
  const r = registered.find((x) => x.type === type && x.name === name);
  if (!r)
    throw new Error(
      `no ${type} named ${name}; have ${registered.map((x) => `${x.type} ${x.name}`).join(", ")}`,
    );
  return r;
}

describe("SourcegraphWebhooks under mocks", () => {
  it("GitHub: one receiver, one provider per owner, org and repo hooks with JSON content and the receiver's URL and secret", async () => {
    const c = await build("gh", {
      sourcegraph: { endpoint: "https://sg.example.com", accessToken: "sgp_token" },
      github: [{ token: "ghp_token", organizations: ["acme"], repositories: ["acme/api", "octo/tool"] }],
    });
    expect(only(COMPONENT).map((r) => r.name)).toEqual(["gh"]);

    const receiver = one(RECEIVER, "gh-github-github.com");
    expect(receiver.custom).toBe(true);
    expect(receiver.inputs.codeHostKind).toBe("GITHUB");
    expect(receiver.inputs.codeHostUrn).toBe("https://github.com");
    expect(isSecretValue(receiver.inputs.sourcegraph)).toBe(true);
    expect(unsecret(receiver.inputs.sourcegraph)).toEqual({
      endpoint: "https://sg.example.com",
      accessToken: "sgp_token",
    });
    expect(typeof receiver.inputs.__provider).toBe("string");

    // One provider per owner: acme (org hook and repo hook share it) and octo.
    const providers = only(GITHUB_PROVIDER);
    expect(providers.map((p) => p.inputs.owner).sort()).toEqual(["acme", "octo"]);
    for (const p of providers) {
      expect(isSecretValue(p.inputs.token)).toBe(true);
      expect(unsecret(p.inputs.token)).toBe("ghp_token");
      // github.com: the provider's own default API.
      expect(p.inputs.baseUrl).toBe("https://api.github.com/");
    }

    const org = one(ORG_HOOK, "gh-github-github.com-org-acme");
    expect(org.inputs.active).toBe(true);
    expect([...org.inputs.events].sort()).toEqual(
      [...events.github.batchChanges, ...events.github.push].sort(),
    );
    // The whole configuration arrives as a secret because it holds the secret.
    expect(isSecretValue(org.inputs.configuration)).toBe(true);
    expect(unsecret(org.inputs.configuration)).toEqual({
      url: "https://sourcegraph.test/.api/webhooks/uuid-gh-github-github.com",
      contentType: "json",
      insecureSsl: false,
      secret: "generated-gh-github-github.com",
    });
    expect(org.provider).toContain("gh-github-github.com-acme");

    const repo = one(REPO_HOOK, "gh-github-github.com-repo-acme/api");
    expect(repo.inputs.repository).toBe("api");
    expect(repo.provider).toContain("gh-github-github.com-acme");
    expect(unsecret(repo.inputs.configuration).contentType).toBe("json");
    expect(one(REPO_HOOK, "gh-github-github.com-repo-octo/tool").provider).toContain(
      "gh-github-github.com-octo",
    );

    // Every child is parented to the component.
    for (const r of Object.values(c.githubOrganizationWebhooks)) {
      expect(await resolved(r.urn)).toContain(`${COMPONENT}$${ORG_HOOK}::`);
    }
    expect(await resolved(c.receiverResources["github/github.com"]!.urn)).toContain(
      `${COMPONENT}$${RECEIVER}::`,
    );
    expect(await resolved(c.relayReceiversFile)).toBeUndefined();
  });

  it("GitHub: features, an explicit event list, a user's provider and GitHub Enterprise Server", async () => {
    const mine = new github.Provider("mine", { owner: "acme" });
    await build("ghe", {
      github: [
        {
          url: "https://ghe.example.com/",
          organizations: ["acme", "beta"],
          providers: { acme: mine },
          features: ["permissions"],
        },
        { name: "public", organizations: ["oss"], events: ["push", "push", "release"] },
      ],
    });
    const acme = one(ORG_HOOK, "ghe-github-ghe.example.com-org-acme");
    expect(acme.provider).toContain("::mine::");
    expect([...acme.inputs.events].sort()).toEqual([...events.github.permissions].sort());
    const created = only(GITHUB_PROVIDER).filter((p) => p.name !== "mine");
    expect(created.map((p) => [p.inputs.owner, p.inputs.baseUrl])).toEqual(
      expect.arrayContaining([
        ["beta", "https://ghe.example.com/api/v3/"],
        ["oss", "https://api.github.com/"],
      ]),
    );
    expect(created).toHaveLength(2);
    expect(one(RECEIVER, "ghe-github-ghe.example.com").inputs.codeHostUrn).toBe("https://ghe.example.com");
    expect(one(ORG_HOOK, "ghe-github-public-org-oss").inputs.events).toEqual(["push", "release"]);
  });

  it("GitLab: one receiver, project and group hooks with the instance URL, token as a secret and the GitLab preset", async () => {
    await build("gl", {
      gitlab: [
        {
          url: "https://gitlab.example.com/",
          token: "glpat-secret",
          projects: ["platform/api", 42],
          groups: ["infra"],
          secret: "shared-gitlab-secret",
          enableSslVerification: false,
        },
      ],
    });
    const receiver = one(RECEIVER, "gl-gitlab-gitlab.example.com");
    expect(receiver.inputs.codeHostKind).toBe("GITLAB");
    expect(receiver.inputs.codeHostUrn).toBe("https://gitlab.example.com");
    expect(isSecretValue(receiver.inputs.secret)).toBe(true);
    expect(unsecret(receiver.inputs.secret)).toBe("shared-gitlab-secret");

    const projects = only("pulumi-nodejs:dynamic/gitlab:ProjectHook");
    expect(projects.map((p) => p.name).sort()).toEqual([
      "gl-gitlab-gitlab.example.com-project-42",
      "gl-gitlab-gitlab.example.com-project-platform/api",
    ]);
    const p = one(
      "pulumi-nodejs:dynamic/gitlab:ProjectHook",
      "gl-gitlab-gitlab.example.com-project-platform/api",
    );
    expect(p.inputs.project).toBe("platform/api");
    expect(unsecret(p.inputs.url)).toBe(
      "https://sourcegraph.test/.api/webhooks/uuid-gl-gitlab-gitlab.example.com",
    );
    expect(isSecretValue(p.inputs.secret)).toBe(true);
    expect(unsecret(p.inputs.secret)).toBe("shared-gitlab-secret");
    expect(isSecretValue(p.inputs.gitlab)).toBe(true);
    expect(unsecret(p.inputs.gitlab)).toEqual({ url: "https://gitlab.example.com", token: "glpat-secret" });
    expect([...p.inputs.events].sort()).toEqual(
      [...events.gitlab.batchChanges, ...events.gitlab.push].sort(),
    );
    expect(p.inputs.enableSslVerification).toBe(false);
    expect(
      one("pulumi-nodejs:dynamic/gitlab:ProjectHook", "gl-gitlab-gitlab.example.com-project-42").inputs
        .project,
    ).toBe(42);
    const g = one("pulumi-nodejs:dynamic/gitlab:GroupHook", "gl-gitlab-gitlab.example.com-group-infra");
    expect(g.inputs.group).toBe("infra");
    expect(unsecret(g.inputs.secret)).toBe("shared-gitlab-secret");
  });

  it("Bitbucket Server: one plugin webhook per scope (global by default), credentials as secrets", async () => {
    await build("bbs", {
      bitbucketServer: [
        { url: "https://bitbucket.example.com", token: "bbs-token" },
        {
          name: "dc",
          url: "https://dc.example.com",
          username: "admin",
          password: "pw",
          scopes: ["global", "project:PLAT"],
        },
      ],
    });
    expect(one(RECEIVER, "bbs-bitbucketServer-bitbucket.example.com").inputs.codeHostKind).toBe(
      "BITBUCKETSERVER",
    );
    const hooks = only("pulumi-nodejs:dynamic/bitbucketserver:Webhook");
    expect(hooks.map((h) => h.name).sort()).toEqual([
      "bbs-bitbucketServer-bitbucket.example.com-global",
      "bbs-bitbucketServer-dc-global",
      "bbs-bitbucketServer-dc-project-PLAT",
    ]);
    const h = one(
      "pulumi-nodejs:dynamic/bitbucketserver:Webhook",
      "bbs-bitbucketServer-bitbucket.example.com-global",
    );
    expect(h.inputs.scope).toBe("global");
    expect(unsecret(h.inputs.bitbucketServer)).toMatchObject({
      url: "https://bitbucket.example.com",
      token: "bbs-token",
    });
    expect(isSecretValue(h.inputs.bitbucketServer)).toBe(true);
    expect([...h.inputs.events].sort()).toEqual(
      [...events.bitbucketServer.batchChanges, ...events.bitbucketServer.push].sort(),
    );
    const dc = one("pulumi-nodejs:dynamic/bitbucketserver:Webhook", "bbs-bitbucketServer-dc-project-PLAT");
    expect(dc.inputs.scope).toBe("project:PLAT");
    expect(unsecret(dc.inputs.bitbucketServer)).toMatchObject({ username: "admin", password: "pw" });
  });

  it("Bitbucket Cloud: workspace and repository hooks; `secret: false` leaves receiver and hooks without one", async () => {
    await build("bbc", {
      bitbucketCloud: [
        {
          apiUrl: "http://127.0.0.1:9/2.0",
          email: "me@example.com",
          apiToken: "atl-token",
          workspaces: ["acme"],
          repositories: ["acme/app"],
          features: ["push"],
          secret: false,
        },
      ],
    });
    const receiver = one(RECEIVER, "bbc-bitbucketCloud-bitbucket.org");
    expect(receiver.inputs.codeHostKind).toBe("BITBUCKETCLOUD");
    expect(receiver.inputs.codeHostUrn).toBe("https://bitbucket.org");
    expect(unsecret(receiver.inputs.secret)).toBe(false);
    const ws = one(
      "pulumi-nodejs:dynamic/bitbucketcloud:Webhook",
      "bbc-bitbucketCloud-bitbucket.org-workspace-acme",
    );
    expect(ws.inputs.workspace).toBe("acme");
    expect(ws.inputs.repository).toBeUndefined();
    expect(ws.inputs.secret).toBeUndefined();
    expect(ws.inputs.events).toEqual(["repo:push"]);
    expect(unsecret(ws.inputs.bitbucketCloud)).toMatchObject({
      apiUrl: "http://127.0.0.1:9/2.0",
      apiToken: "atl-token",
    });
    const repo = one(
      "pulumi-nodejs:dynamic/bitbucketcloud:Webhook",
      "bbc-bitbucketCloud-bitbucket.org-repo-acme/app",
    );
    expect([repo.inputs.workspace, repo.inputs.repository]).toEqual(["acme", "app"]);
  });

  it("relay: every hook delivers to publicUrl/.api/webhooks/<uuid> and the receivers file is a secret", async () => {
    const c = await build("r", {
      relay: { publicUrl: "https://relay.example.com/" },
      github: [{ organizations: ["acme"] }],
      gitlab: [{ url: "https://gitlab.example.com", projects: ["a/b"], secret: "gl-secret" }],
      bitbucketServer: [{ url: "https://bitbucket.example.com" }],
      bitbucketCloud: [{ workspaces: ["ws"], secret: false }],
    });
    const url = (name: string) => `https://relay.example.com/.api/webhooks/uuid-${name}`;
    expect(unsecret(one(ORG_HOOK, "r-github-github.com-org-acme").inputs.configuration).url).toBe(
      url("r-github-github.com"),
    );
    expect(
      unsecret(
        one("pulumi-nodejs:dynamic/gitlab:ProjectHook", "r-gitlab-gitlab.example.com-project-a/b").inputs.url,
      ),
    ).toBe(url("r-gitlab-gitlab.example.com"));
    expect(
      unsecret(
        one("pulumi-nodejs:dynamic/bitbucketserver:Webhook", "r-bitbucketServer-bitbucket.example.com-global")
          .inputs.url,
      ),
    ).toBe(url("r-bitbucketServer-bitbucket.example.com"));
    expect(
      unsecret(
        one("pulumi-nodejs:dynamic/bitbucketcloud:Webhook", "r-bitbucketCloud-bitbucket.org-workspace-ws")
          .inputs.url,
      ),
    ).toBe(url("r-bitbucketCloud-bitbucket.org"));

    expect(await pulumi.isSecret(c.relayReceiversFile)).toBe(true);
    const file = JSON.parse((await resolved(c.relayReceiversFile))!);
    expect(file).toEqual([
      {
        uuid: "uuid-r-github-github.com",
        codeHostKind: "GITHUB",
        secrets: ["generated-r-github-github.com"],
      },
      { uuid: "uuid-r-gitlab-gitlab.example.com", codeHostKind: "GITLAB", secrets: ["gl-secret"] },
      {
        uuid: "uuid-r-bitbucketServer-bitbucket.example.com",
        codeHostKind: "BITBUCKETSERVER",
        secrets: ["generated-r-bitbucketServer-bitbucket.example.com"],
      },
      { uuid: "uuid-r-bitbucketCloud-bitbucket.org", codeHostKind: "BITBUCKETCLOUD", secrets: [] },
    ]);
    const receivers = await resolved(c.receivers);
    expect(receivers.map((r) => [r.connection, r.deliveryUrl])).toEqual([
      ["github/github.com", url("r-github-github.com")],
      ["gitlab/gitlab.example.com", url("r-gitlab-gitlab.example.com")],
      ["bitbucketServer/bitbucket.example.com", url("r-bitbucketServer-bitbucket.example.com")],
      ["bitbucketCloud/bitbucket.org", url("r-bitbucketCloud-bitbucket.org")],
    ]);
    expect(receivers[1]!.url).toBe("https://sourcegraph.test/.api/webhooks/uuid-r-gitlab-gitlab.example.com");
  });

  it.each<[string, SourcegraphWebhooksArgs, string]>([
    [
      "no connection",
      {},
      "SourcegraphWebhooks: declares no code host connection; set at least one of github, gitlab, bitbucketServer, bitbucketCloud",
    ],
    [
      "an unknown GitHub event",
      { github: [{ organizations: ["a"], events: ["push", "pushh"] }] },
      'github[0].events: unknown github event "pushh"; valid: branch_protection_configuration,',
    ],
    [
      "features and events",
      { gitlab: [{ projects: [1], features: ["push"], events: ["push_events"] }] },
      'gitlab[0]: set either "features" or "events", not both',
    ],
    [
      "permissions off GitHub",
      { gitlab: [{ projects: [1], features: ["permissions"] }] },
      'gitlab[0].features: unknown feature "permissions"; valid: batchChanges, push',
    ],
    [
      "an empty event list",
      { bitbucketCloud: [{ workspaces: ["w"], events: [] }] },
      "bitbucketCloud[0].events: the list is empty",
    ],
    [
      "no hook",
      { github: [{}] },
      "github[0]: declares no hook; set at least one of organizations, repositories",
    ],
    [
      "a bad repository",
      { github: [{ repositories: ["acme"] }] },
      'github[0].repositories: "acme" must be written as <owner>/<repository>',
    ],
    [
      "a repeated project",
      { gitlab: [{ projects: ["a/b", "a/b"] }] },
      'gitlab[0].projects: "a/b" is listed twice',
    ],
    [
      "two connections with one name",
      { gitlab: [{ projects: [1] }, { projects: [2] }] },
      'gitlab[1]: resolves to the connection name "gitlab.com", as gitlab[0] does; give one of them a distinct "name"',
    ],
    [
      "a bad scope",
      { bitbucketServer: [{ url: "https://b.example.com", scopes: ["repo:X"] }] },
      'bitbucketServer[0].scopes: invalid scope "repo:X"; valid: global, project:<project name>, repository:<PROJECT KEY>/<slug>',
    ],
    [
      "token and password",
      { bitbucketServer: [{ url: "https://b.example.com", token: "t", username: "u", password: "p" }] },
      'bitbucketServer[0]: set either "token" or "username" + "password", not both',
    ],
    [
      "email without apiToken",
      { bitbucketCloud: [{ workspaces: ["w"], email: "me@example.com" }] },
      'bitbucketCloud[0]: "email" and "apiToken" go together; set both or neither',
    ],
    [
      "a bad relay URL",
      { relay: { publicUrl: "relay.example.com" }, github: [{ organizations: ["a"] }] },
      'relay.publicUrl: "relay.example.com" is not a URL',
    ],
    [
      "a bad URL",
      { gitlab: [{ url: "ftp://gitlab", projects: [1] }] },
      'gitlab[0].url: "ftp://gitlab" must start with https://',
    ],
  ])("refuses %s with a message naming the field", (_what, args, message) => {
    const before = registered.length;
    expect(() => new SourcegraphWebhooks("bad", args)).toThrow(message);
    // Nothing was registered, not even the component.
    expect(registered.slice(before)).toEqual([]);
  });

  it("reports every problem at once, each with its path, and registers nothing", () => {
    const before = registered.length;
    let error: unknown;
    try {
      new SourcegraphWebhooks("bad", {
        github: [{ organizations: ["acme"], repositories: ["tool", "acme/api", "acme/api"] }],
        gitlab: [{ projects: [1], features: ["batchChanges"], events: ["push_events"] }, { projects: [2] }],
        bitbucketServer: [
          { url: "https://b.example.com", scopes: ["global", "repo:X"], token: "t", username: "u" },
        ],
        relay: { publicUrl: "https://relay.example.com/?x=1" },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidDeclarationError);
    const problems = (error as InvalidDeclarationError).problems;
    expect(problems.every((p) => p instanceof DeclarationError)).toBe(true);
    expect(problems.map((p) => [p.path, p.problem])).toEqual([
      ["github[0].repositories", '"acme/api" is listed twice'],
      ["github[0].repositories", '"tool" must be written as <owner>/<repository>'],
      ["gitlab[0]", 'set either "features" or "events", not both'],
      ["bitbucketServer[0]", 'set either "token" or "username" + "password", not both'],
      ["bitbucketServer[0]", '"username" and "password" go together; set both or neither'],
      [
        "bitbucketServer[0].scopes",
        'invalid scope "repo:X"; valid: global, project:<project name>, repository:<PROJECT KEY>/<slug> (only global receives pull request events)',
      ],
      ["relay.publicUrl", '"https://relay.example.com/?x=1" must not have a query or fragment'],
      [
        "gitlab[1]",
        'resolves to the connection name "gitlab.com", as gitlab[0] does; give one of them a distinct "name"',
      ],
    ]);
    // The message lists them all, one a line, each with its path.
    const lines = (error as Error).message.split("\n");
    expect(lines[0]).toBe("SourcegraphWebhooks: 8 problems in the declaration:");
    expect(lines.slice(1)).toEqual(problems.map((p) => `  ${p.path}: ${p.problem}`));
    expect(registered.slice(before)).toEqual([]);
  });

  it("declarationProblems lists the same problems without throwing, and none for a valid declaration", () => {
    expect(declarationProblems({ gitlab: [{ projects: [1] }] })).toEqual([]);
    expect(
      declarationProblems({
        gitlab: [{ projects: [] }],
        bitbucketCloud: [{ workspaces: ["w"], events: [] }],
      }).map((p) => p.message),
    ).toEqual([
      "gitlab[0]: declares no hook; set at least one of projects, groups",
      'bitbucketCloud[0].events: the list is empty; give at least one event, or omit "events" for the default (batch changes + push)',
    ]);
  });

  it("a Bitbucket Server connection needs a URL (argument or BITBUCKET_SERVER_URL)", () => {
    const saved = process.env.BITBUCKET_SERVER_URL;
    delete process.env.BITBUCKET_SERVER_URL;
    try {
      expect(() => new SourcegraphWebhooks("nourl", { bitbucketServer: [{}] })).toThrow(
        "bitbucketServer[0].url: required: the Bitbucket Server URL such as https://bitbucket.example.com (or set BITBUCKET_SERVER_URL)",
      );
    } finally {
      if (saved !== undefined) process.env.BITBUCKET_SERVER_URL = saved;
    }
  });
});
