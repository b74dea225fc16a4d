// Proves the component's `hooks` output names every hook as doctor reads it, and holds no secret.
// The component's `hooks` output under mocks that answer as the providers do: GitHub and GitLab hook
// IDs are numbers, the Bitbucket Server plugin's webhook has a numeric id but is known by its name,
// Bitbucket Cloud's ID is a braced UUID. Every code host and hook kind, the values of each entry,
// and that the output is neither a Pulumi secret nor holds any token or shared secret.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type HookSummary,
  SourcegraphWebhooks,
  type SourcegraphWebhooksArgs,
} from "../../src/components/sourcegraph-webhooks";
import { mockResources, type Registered, receiverState, resolved } from "../harness/mock-engine";

const RECEIVER = "pulumi-nodejs:dynamic/sourcegraph:Receiver";
const BBS_HOOK = "pulumi-nodejs:dynamic/bitbucketserver:Webhook";
const BBC_HOOK = "pulumi-nodejs:dynamic/bitbucketcloud:Webhook";

/** Every credential and shared secret the declarations below hold: none may reach `hooks`. */
const SECRETS = {
  sourcegraph: "sg-test-hooks_0123456789abcdef0123456789abcdef",
  github: "gh-test-hooksTOKEN0123456789abcdefABCDEF0123",
  githubSecret: "gh-shared-secret-0123456789abcdef",
  ghe: "gh-test-enterpriseTOKEN0123456789abcdef0123",
  gitlab: "gl-test-hooks-0123456789abcdef",
  gitlabSecret: "gl-shared-secret-0123456789abcdef",
  bbsPassword: "bbs-password-0123456789abcdef",
  bbcApiToken: "ATATT3xFfGF0-hooks-0123456789abcdef",
  bbcToken: "bbc-access-token-0123456789abcdef",
};

let registered: Registered[];
/** The ID each mock resource was given, by resource name. */
const ids = new Map<string, string>();

beforeAll(async () => {
  let next = 1000;
  registered = await mockResources((r) => {
    if (!r.custom) return { id: undefined, state: r.inputs };
    if (r.type === RECEIVER) return { id: `${r.name}-id`, state: receiverState(r.name, r.inputs) };
    // Bitbucket Cloud answers with the hook's UUID in braces; the others with a number.
    const id = r.type === BBC_HOOK ? `{0000-${next++}}` : String(next++);
    ids.set(r.name, id);
    const extra = r.type === BBS_HOOK ? { webhookId: Number(id) } : r.type === BBC_HOOK ? { uuid: id } : {};
    return { id, state: { ...r.inputs, ...extra } };
  });
});
beforeEach(() => {
  registered.length = 0;
  ids.clear();
});

async function build(name: string, args: SourcegraphWebhooksArgs): Promise<SourcegraphWebhooks> {
  const c = new SourcegraphWebhooks(name, args);
  await Promise.all([resolved(c.urn), resolved(c.receivers), resolved(c.hooks)]);
  return c;
}

/** The ID the mocks gave the resource with this name. */
function idOf(resource: string): string {
  const id = ids.get(resource);
  if (id === undefined) throw new Error(`no resource named ${resource}; have ${[...ids.keys()].join(", ")}`);
  return id;
}

/** The events the hook resource with this name was registered with (GitHub's sit beside its configuration). */
function eventsOf(resource: string): string[] {
  const r = registered.find((x) => x.name === resource);
  if (!r) throw new Error(`no resource named ${resource}`);
  return r.inputs.events;
}

const EVERY_HOST: SourcegraphWebhooksArgs = {
  sourcegraph: {
    endpoint: "https://sourcegraph.example.com",
    accessToken: pulumi.secret(SECRETS.sourcegraph),
  },
  github: [
    {
      token: SECRETS.github,
      secret: SECRETS.githubSecret,
      organizations: ["acme"],
      repositories: ["octo/tool"],
    },
    {
      url: "https://ghe.example.com/",
      name: "ghe",
      token: pulumi.secret(SECRETS.ghe),
      organizations: ["corp"],
    },
  ],
  gitlab: [
    {
      url: "https://gitlab.example.com/",
      token: pulumi.secret(SECRETS.gitlab),
      secret: pulumi.secret(SECRETS.gitlabSecret),
      projects: ["platform/api", 42],
      groups: ["infra"],
      enableSslVerification: false,
    },
  ],
  bitbucketServer: [
    {
      url: "https://bitbucket.example.com",
      username: "admin",
      password: SECRETS.bbsPassword,
      scopes: ["global", "repository:PROJ/repo"],
    },
  ],
  bitbucketCloud: [
    {
      email: "me@example.com",
      apiToken: SECRETS.bbcApiToken,
      workspaces: ["acme-ws"],
      repositories: ["acme-ws/legacy"],
    },
    {
      name: "fake",
      apiUrl: "http://127.0.0.1:9/2.0/",
      token: SECRETS.bbcToken,
      workspaces: ["w"],
      secret: false,
    },
  ],
};

describe("SourcegraphWebhooks.hooks", () => {
  it("has one entry per hook, in declaration order, for every code host and kind", async () => {
    const c = await build("sg", EVERY_HOST);
    const delivery = (receiver: string) => `https://sourcegraph.test/.api/webhooks/uuid-${receiver}`;
    const entry = (
      receiver: string,
      resource: string,
      fields: Pick<HookSummary, "connection" | "codeHost" | "kind" | "target" | "apiUrl"> &
        Partial<HookSummary>,
    ): HookSummary => ({
      id: idOf(resource),
      receiverUuid: `uuid-${receiver}`,
      deliveryUrl: delivery(receiver),
      events: eventsOf(resource),
      ...fields,
    });
    const gh = "sg-github-github.com";
    const ghe = "sg-github-ghe";
    const gl = "sg-gitlab-gitlab.example.com";
    const bbs = "sg-bitbucketServer-bitbucket.example.com";
    const bbc = "sg-bitbucketCloud-bitbucket.org";
    const fake = "sg-bitbucketCloud-fake";
    const gitlab = {
      connection: "gitlab/gitlab.example.com",
      codeHost: "gitlab",
      apiUrl: "https://gitlab.example.com/api/v4",
      enableSslVerification: false,
    } as const;
    const bitbucketServer = {
      connection: "bitbucketServer/bitbucket.example.com",
      codeHost: "bitbucketServer",
      kind: "plugin",
      apiUrl: "https://bitbucket.example.com",
    } as const;
    const bitbucketCloud = {
      connection: "bitbucketCloud/bitbucket.org",
      codeHost: "bitbucketCloud",
      apiUrl: "https://api.bitbucket.org/2.0",
    } as const;

    const hooks = await resolved(c.hooks);
    expect(hooks).toEqual([
      entry(gh, `${gh}-org-acme`, {
        connection: "github/github.com",
        codeHost: "github",
        kind: "organization",
        target: "acme",
        apiUrl: "https://api.github.com",
      }),
      entry(gh, `${gh}-repo-octo/tool`, {
        connection: "github/github.com",
        codeHost: "github",
        kind: "repository",
        target: "octo/tool",
        apiUrl: "https://api.github.com",
      }),
      entry(ghe, `${ghe}-org-corp`, {
        connection: "github/ghe",
        codeHost: "github",
        kind: "organization",
        target: "corp",
        apiUrl: "https://ghe.example.com/api/v3",
      }),
      entry(gl, `${gl}-project-platform/api`, { ...gitlab, kind: "project", target: "platform/api" }),
      entry(gl, `${gl}-project-42`, { ...gitlab, kind: "project", target: "42" }),
      entry(gl, `${gl}-group-infra`, { ...gitlab, kind: "group", target: "infra" }),
      // The plugin's webhooks are known by name: the mock's numeric id is not the ID here.
      {
        ...entry(bbs, `${bbs}-global`, { ...bitbucketServer, target: "global" }),
        id: `sgw-test-${bbs}-global`,
      },
      {
        ...entry(bbs, `${bbs}-repository-PROJ-repo`, { ...bitbucketServer, target: "repository:PROJ/repo" }),
        id: `sgw-test-${bbs}-repository-PROJ-repo`,
      },
      entry(bbc, `${bbc}-workspace-acme-ws`, { ...bitbucketCloud, kind: "workspace", target: "acme-ws" }),
      entry(bbc, `${bbc}-repo-acme-ws/legacy`, {
        ...bitbucketCloud,
        kind: "repository",
        target: "acme-ws/legacy",
      }),
      entry(fake, `${fake}-workspace-w`, {
        connection: "bitbucketCloud/fake",
        codeHost: "bitbucketCloud",
        kind: "workspace",
        target: "w",
        apiUrl: "http://127.0.0.1:9/2.0",
      }),
    ]);
    // The IDs are the code hosts': numbers, and Bitbucket Cloud's braced UUIDs.
    for (const h of hooks) {
      if (h.codeHost === "github" || h.codeHost === "gitlab") expect(h.id).toMatch(/^\d+$/);
      if (h.codeHost === "bitbucketCloud") expect(h.id).toMatch(/^\{.+\}$/);
    }
    // Events are the declared ones: the GitLab preset has merge request events, GitHub's pull_request.
    expect(hooks[0]!.events).toContain("pull_request");
    expect(hooks[3]!.events).toContain("merge_requests_events");
  });

  it("is not a secret and holds no token or shared secret, while the receivers' secrets are secrets", async () => {
    const c = await build("sg", { ...EVERY_HOST, relay: { publicUrl: "https://relay.example.com" } });
    expect(await pulumi.isSecret(c.hooks)).toBe(false);
    expect(await pulumi.isSecret(c.receivers)).toBe(false);
    const text = JSON.stringify([await resolved(c.hooks), await resolved(c.receivers)]);
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(text.includes(value), `${name} appears in the outputs`).toBe(false);
    }
    // Every generated shared secret too (the mocks make them `generated-<receiver>`).
    expect(text).not.toContain("generated-");
    // The secrets are there to find: the receivers file holds the shared secrets, as a secret.
    expect(await pulumi.isSecret(c.relayReceiversFile)).toBe(true);
    const file = (await resolved(c.relayReceiversFile))!;
    expect(file).toContain(SECRETS.githubSecret);
    expect(file).toContain(SECRETS.gitlabSecret);
    for (const r of Object.values(c.receiverResources)) {
      expect(await pulumi.isSecret(r.secret)).toBe(true);
    }
  });

  it("through a relay, each hook's deliveryUrl is the relay's URL for its receiver", async () => {
    const c = await build("r", {
      relay: { publicUrl: "https://relay.example.com/" },
      gitlab: [{ url: "https://gitlab.example.com", projects: ["a/b"] }],
      bitbucketCloud: [{ workspaces: ["ws"] }],
    });
    const hooks = await resolved(c.hooks);
    expect(hooks.map((h) => [h.connection, h.receiverUuid, h.deliveryUrl])).toEqual([
      [
        "gitlab/gitlab.example.com",
        "uuid-r-gitlab-gitlab.example.com",
        "https://relay.example.com/.api/webhooks/uuid-r-gitlab-gitlab.example.com",
      ],
      [
        "bitbucketCloud/bitbucket.org",
        "uuid-r-bitbucketCloud-bitbucket.org",
        "https://relay.example.com/.api/webhooks/uuid-r-bitbucketCloud-bitbucket.org",
      ],
    ]);
    // Each hook's deliveryUrl is its receiver's, as `receivers` gives it.
    const receivers = await resolved(c.receivers);
    for (const h of hooks) {
      expect(receivers.find((r) => r.uuid === h.receiverUuid)?.deliveryUrl).toBe(h.deliveryUrl);
    }
  });

  it("a GitLab hook declares TLS verification on unless turned off, and only GitLab hooks say so", async () => {
    const c = await build("tls", {
      github: [{ organizations: ["acme"] }],
      gitlab: [{ url: "https://gitlab.example.com", groups: [7] }],
      bitbucketServer: [{ url: "https://bitbucket.example.com" }],
    });
    const hooks = await resolved(c.hooks);
    expect(hooks.map((h) => [h.codeHost, h.target, h.enableSslVerification])).toEqual([
      ["github", "acme", undefined],
      ["gitlab", "7", true],
      ["bitbucketServer", "global", undefined],
    ]);
    expect(hooks.filter((h) => "enableSslVerification" in h).map((h) => h.codeHost)).toEqual(["gitlab"]);
  });

  it("the GitHub provider and the hooks' apiUrl agree on GitHub Enterprise Server's API base", async () => {
    const c = await build("api", {
      github: [{ url: "https://ghe.example.com/git/", organizations: ["acme"] }],
    });
    const provider = registered.find((r) => r.type === "pulumi:providers:github")!;
    const [hook] = await resolved(c.hooks);
    expect(hook!.apiUrl).toBe("https://ghe.example.com/git/api/v3");
    expect(provider.inputs.baseUrl).toBe(`${hook!.apiUrl}/`);
  });
});
