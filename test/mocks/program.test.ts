// The root program (what Pulumi.yaml runs) under mocks, fed the stack config as the engine feeds it:
// every value a string, objects and lists as JSON, and the keys set with --secret listed as secret.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { parseStackOutputs } from "../../src/doctor/inputs/outputs-file";
import { planFromOutputs } from "../../src/doctor/plan";
import { ConfigError, readDeclaration } from "../../src/program/config";
import { installMocks, isSecretValue, type Registered, resolved, unsecret } from "../harness/mock-engine";

const ROOT = path.resolve(__dirname, "../..");
const PROJECT = "sourcegraph-webhooks";
const yaml = require("js-yaml") as { load(text: string): any };

/** A stack file's `config:` as the engine passes it to the program. */
function stackConfig(file: string): Record<string, string> {
  const doc = yaml.load(readFileSync(path.join(ROOT, file), "utf8"));
  return Object.fromEntries(
    Object.entries(doc.config as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === "string" ? v : JSON.stringify(v),
    ]),
  );
}

async function quiet(registered: Registered[]): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 4) {
    await new Promise((r) => setTimeout(r, 25));
    stable = registered.length === last ? stable + 1 : 0;
    last = registered.length;
  }
}

/** Runs the program module with this config, as `pulumi up -s <stack>` would. */
async function runProgram(config: Record<string, string>, secretKeys: string[] = []) {
  vi.resetModules();
  pulumi.runtime.setAllConfig(config, secretKeys);
  const registered = await installMocks(PROJECT, "example");
  const program = await import("../../src/program/index");
  await resolved(program.receivers);
  await quiet(registered);
  return { registered, program };
}

/**
 * What `pulumi stack output --json` prints for the program's exports: every output by its name,
 * a secret one as "[secret]" (no --show-secrets), an undefined one left out.
 */
async function stackOutputJson(program: Record<string, unknown>): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(program)) {
    if (!pulumi.Output.isInstance(value)) continue;
    const v = (await pulumi.isSecret(value)) ? "[secret]" : await resolved(value);
    if (v !== undefined) out[name] = v;
  }
  return JSON.stringify(out, null, 2);
}

describe("the root program", () => {
  beforeEach(() => {
    pulumi.runtime.setAllConfig({}, []);
  });

  it("builds the expected graph from Pulumi.example.yaml", async () => {
    const { registered, program } = await runProgram(stackConfig("Pulumi.example.yaml"));
    const byType = (t: string) =>
      registered
        .filter((r) => r.type === t)
        .map((r) => r.name)
        .sort();
    expect(byType("sourcegraph-webhooks:index:SourcegraphWebhooks")).toEqual(["sourcegraph"]);
    expect(byType("pulumi-nodejs:dynamic/sourcegraph:Receiver")).toEqual([
      "sourcegraph-bitbucketCloud-bitbucket.org",
      "sourcegraph-bitbucketServer-bitbucket.example.com",
      "sourcegraph-github-github.com",
      "sourcegraph-gitlab-gitlab.example.com",
    ]);
    expect(byType("pulumi:providers:github")).toEqual([
      "sourcegraph-github-github.com-acme",
      "sourcegraph-github-github.com-octocat",
    ]);
    expect(byType("github:index/organizationWebhook:OrganizationWebhook")).toEqual([
      "sourcegraph-github-github.com-org-acme",
    ]);
    expect(byType("github:index/repositoryWebhook:RepositoryWebhook")).toEqual([
      "sourcegraph-github-github.com-repo-octocat/hello-world",
    ]);
    expect(byType("pulumi-nodejs:dynamic/gitlab:ProjectHook")).toEqual([
      "sourcegraph-gitlab-gitlab.example.com-project-platform/api",
      "sourcegraph-gitlab-gitlab.example.com-project-platform/web",
    ]);
    expect(byType("pulumi-nodejs:dynamic/gitlab:GroupHook")).toEqual([
      "sourcegraph-gitlab-gitlab.example.com-group-infrastructure",
    ]);
    expect(byType("pulumi-nodejs:dynamic/bitbucketserver:Webhook")).toEqual([
      "sourcegraph-bitbucketServer-bitbucket.example.com-global",
    ]);
    expect(byType("pulumi-nodejs:dynamic/bitbucketcloud:Webhook")).toEqual([
      "sourcegraph-bitbucketCloud-bitbucket.org-repo-acme-workspace/legacy-app",
      "sourcegraph-bitbucketCloud-bitbucket.org-workspace-acme-workspace",
    ]);
    expect(registered).toHaveLength(15);

    const receiver = registered.find((r) => r.name === "sourcegraph-gitlab-gitlab.example.com")!;
    expect(unsecret(receiver.inputs.sourcegraph)).toEqual({ endpoint: "https://sourcegraph.example.com" });
    const bbc = registered.find(
      (r) => r.name === "sourcegraph-bitbucketCloud-bitbucket.org-workspace-acme-workspace",
    )!;
    expect(bbc.inputs.events).toEqual(["repo:push"]);
    expect(await resolved(program.relayReceiversFile)).toBeUndefined();
    const receivers = await resolved(program.receivers);
    expect(receivers.map((r) => r.codeHostKind)).toEqual([
      "GITHUB",
      "GITLAB",
      "BITBUCKETSERVER",
      "BITBUCKETCLOUD",
    ]);
  });

  it("tokens set with `pulumi config set --secret --path` arrive as secrets, and the relay file is a secret output", async () => {
    const { registered, program } = await runProgram(
      {
        [`${PROJECT}:sourcegraph`]: JSON.stringify({
          endpoint: "https://sg.example.com",
          accessToken: "sgp_config",
        }),
        [`${PROJECT}:gitlab`]: JSON.stringify([
          { token: "glpat-config", projects: [7], secret: "gl-shared" },
        ]),
        [`${PROJECT}:relay`]: JSON.stringify({ publicUrl: "https://relay.example.com" }),
      },
      [`${PROJECT}:sourcegraph`, `${PROJECT}:gitlab`],
    );
    const receiver = registered.find((r) => r.type === "pulumi-nodejs:dynamic/sourcegraph:Receiver")!;
    expect(isSecretValue(receiver.inputs.sourcegraph)).toBe(true);
    expect(isSecretValue(receiver.inputs.secret)).toBe(true);
    const hook = registered.find((r) => r.type === "pulumi-nodejs:dynamic/gitlab:ProjectHook")!;
    expect(isSecretValue(hook.inputs.gitlab)).toBe(true);
    expect(unsecret(hook.inputs.gitlab).token).toBe("glpat-config");
    expect(unsecret(hook.inputs.url)).toBe(
      "https://relay.example.com/.api/webhooks/uuid-sourcegraph-gitlab-gitlab.com",
    );
    expect(await pulumi.isSecret(program.relayReceiversFile)).toBe(true);
    expect(JSON.parse((await resolved(program.relayReceiversFile))!)).toEqual([
      { uuid: "uuid-sourcegraph-gitlab-gitlab.com", codeHostKind: "GITLAB", secrets: ["gl-shared"] },
    ]);
  });

  it("exports receivers and hooks as plain outputs that doctor --outputs reads, with no secret in them", async () => {
    const secrets = {
      accessToken: "sg-test-program_0123456789abcdef0123456789abcdef",
      token: "gl-test-program-0123456789abcdef",
      secret: "gl-program-shared-secret-0123456789",
    };
    const config = stackConfig("Pulumi.example.yaml");
    const gitlab = JSON.parse(config[`${PROJECT}:gitlab`]!);
    gitlab[0] = { ...gitlab[0], token: secrets.token, secret: secrets.secret };
    const sourcegraph = {
      ...JSON.parse(config[`${PROJECT}:sourcegraph`]!),
      accessToken: secrets.accessToken,
    };
    const { program } = await runProgram(
      {
        ...config,
        [`${PROJECT}:gitlab`]: JSON.stringify(gitlab),
        [`${PROJECT}:sourcegraph`]: JSON.stringify(sourcegraph),
        [`${PROJECT}:relay`]: JSON.stringify({ publicUrl: "https://relay.example.com" }),
      },
      [`${PROJECT}:gitlab`, `${PROJECT}:sourcegraph`],
    );
    expect(await pulumi.isSecret(program.hooks)).toBe(false);
    expect(await pulumi.isSecret(program.receivers)).toBe(false);

    const json = await stackOutputJson(program);
    expect(Object.keys(JSON.parse(json)).sort()).toEqual(["hooks", "receivers", "relayReceiversFile"]);
    expect(JSON.parse(json).relayReceiversFile).toBe("[secret]");
    for (const value of Object.values(secrets)) expect(json).not.toContain(value);
    expect(json).not.toContain("generated-");

    const outputs = parseStackOutputs(json, "standard input");
    expect(outputs.hooks?.map((h) => `${h.connection} ${h.kind} ${h.target}`)).toEqual([
      "github/github.com organization acme",
      "github/github.com repository octocat/hello-world",
      "gitlab/gitlab.example.com project platform/api",
      "gitlab/gitlab.example.com project platform/web",
      "gitlab/gitlab.example.com group infrastructure",
      "bitbucketServer/bitbucket.example.com plugin global",
      "bitbucketCloud/bitbucket.org workspace acme-workspace",
      "bitbucketCloud/bitbucket.org repository acme-workspace/legacy-app",
    ]);
    const plan = planFromOutputs(outputs, {});
    const planned = Object.fromEntries(plan.connections.map((c) => [c.id, c]));
    expect(Object.keys(planned)).toEqual([
      "github/github.com",
      "gitlab/gitlab.example.com",
      "bitbucketServer/bitbucket.example.com",
      "bitbucketCloud/bitbucket.org",
    ]);
    const gl = planned["gitlab/gitlab.example.com"]!;
    expect(gl.relayUrl).toBe("https://relay.example.com");
    expect(gl.deliveryUrl).toBe(
      "https://relay.example.com/.api/webhooks/uuid-sourcegraph-gitlab-gitlab.example.com",
    );
    // Doctor takes GitLab's instance URL from the /api/v4 base, and the declared events and TLS.
    expect(gl.hooks[0]).toMatchObject({
      kind: "project",
      target: "platform/api",
      id: "sourcegraph-gitlab-gitlab.example.com-project-platform/api-id",
      apiUrl: "https://gitlab.example.com",
      sslVerification: true,
    });
    expect(gl.hooks[0]!.events).toContain("merge_requests_events");
    expect(planned["github/github.com"]!.hooks.map((h) => h.apiUrl)).toEqual([
      "https://api.github.com",
      "https://api.github.com",
    ]);
    // The plugin's webhook is known by its name: <project>-<stack>-<resource name>.
    expect(planned["bitbucketServer/bitbucket.example.com"]!.hooks[0]).toMatchObject({
      id: `${PROJECT}-example-sourcegraph-bitbucketServer-bitbucket.example.com-global`,
      apiUrl: "https://bitbucket.example.com",
    });
    expect(planned["bitbucketCloud/bitbucket.org"]!.hooks.map((h) => [h.apiUrl, h.events])).toEqual([
      ["https://api.bitbucket.org/2.0", ["repo:push"]],
      ["https://api.bitbucket.org/2.0", ["repo:push"]],
    ]);
  });

  it("refuses an invalid config before registering anything", async () => {
    vi.resetModules();
    pulumi.runtime.setAllConfig({ [`${PROJECT}:gitlab`]: JSON.stringify([{ projects: "a/b" }]) }, []);
    const registered = await installMocks(PROJECT, "example");
    await expect(import("../../src/program/index")).rejects.toThrow(
      "sourcegraph-webhooks:gitlab[0].projects: expected a list of IDs (numbers) or full paths (strings)",
    );
    expect(registered).toEqual([]);
  });
});

describe("Pulumi.yaml", () => {
  it("runs the built program with the local backend, and the build produces it", () => {
    const project = yaml.load(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    expect(project.name).toBe(PROJECT);
    expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: false } });
    expect(project.main).toBe("dist/src/program/index.js");
    expect(project.backend).toEqual({ url: "file://~" });
    // The build (global set-up, or `npm ci` through the prepare script) emits the program there.
    expect(existsSync(path.join(ROOT, project.main))).toBe(true);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.files).toEqual(
      expect.arrayContaining(["dist/src", "dist/providers", "Pulumi.yaml", "Pulumi.example.yaml"]),
    );
    expect(pkg.scripts.prepare).toContain("tsc");
  });
});

describe("readDeclaration: each invalid config names the key and what is valid", () => {
  const cfg = (key: string, value: unknown) => ({ [`${PROJECT}:${key}`]: JSON.stringify(value) });
  it.each<[string, Record<string, string>, string]>([
    [
      "no connection",
      {},
      "sourcegraph-webhooks: declares no code host connection; set at least one of github, gitlab, bitbucketServer, bitbucketCloud",
    ],
    [
      "an unknown key",
      { [`${PROJECT}:gitlb`]: "[]" },
      "sourcegraph-webhooks:gitlb: unknown config key; valid: sourcegraph-webhooks:sourcegraph, sourcegraph-webhooks:github, sourcegraph-webhooks:gitlab, sourcegraph-webhooks:bitbucketServer, sourcegraph-webhooks:bitbucketCloud, sourcegraph-webhooks:relay",
    ],
    [
      "a text instead of a list",
      { [`${PROJECT}:gitlab`]: "gitlab.example.com" },
      "sourcegraph-webhooks:gitlab: expected a list (YAML), got plain text (not shown: it may be a secret)",
    ],
    [
      // `pulumi config set --secret sourcegraph <token>` without --path: the token stays out of the message.
      "a secret text instead of an object",
      { [`${PROJECT}:sourcegraph`]: "fake-sg-0123456789abcdef0123456789abcdef01234567" },
      "sourcegraph-webhooks:sourcegraph: expected an object (YAML), got plain text (not shown: it may be a secret)",
    ],
    [
      "an object instead of a list",
      cfg("github", { organizations: ["a"] }),
      "sourcegraph-webhooks:github: expected a list of GitHub connections",
    ],
    [
      "an unknown field",
      cfg("github", [{ orgs: ["a"] }]),
      'sourcegraph-webhooks:github[0]: unknown key "orgs"; valid: name, features, events, secret, receiverName, adopt, url, token, organizations, repositories',
    ],
    [
      "a bad URL",
      cfg("sourcegraph", { endpoint: "sourcegraph.example.com" }),
      "sourcegraph-webhooks:sourcegraph.endpoint: expected a URL such as https://host.example.com",
    ],
    [
      "a bad feature",
      cfg("bitbucketServer", [{ url: "https://b.example.com", features: ["prs"] }]),
      'sourcegraph-webhooks:bitbucketServer[0].features[0]: Invalid option: expected one of "batchChanges"|"push"|"permissions"',
    ],
    [
      "an unknown event",
      cfg("bitbucketCloud", [{ workspaces: ["w"], events: ["repo:pushed"] }]),
      'sourcegraph-webhooks:bitbucketCloud[0].events: unknown bitbucketCloud event "repo:pushed"; valid: repo:push,',
    ],
    [
      "an empty project path",
      cfg("gitlab", [{ projects: [""] }]),
      "sourcegraph-webhooks:gitlab[0].projects[0]: must not be empty",
    ],
    [
      "a string for a boolean",
      cfg("gitlab", [{ projects: [1], enableSslVerification: "no" }]),
      "sourcegraph-webhooks:gitlab[0].enableSslVerification: expected true or false",
    ],
    [
      "a relay without publicUrl",
      { ...cfg("relay", {}), ...cfg("gitlab", [{ projects: [1] }]) },
      "sourcegraph-webhooks:relay.publicUrl: expected a URL string such as https://host.example.com",
    ],
    [
      "a repository without owner",
      cfg("github", [{ repositories: ["tool"] }]),
      'sourcegraph-webhooks:github[0].repositories: "tool" must be written as <owner>/<repository>',
    ],
    [
      "a bad name",
      cfg("gitlab", [{ name: "my gitlab", projects: [1] }]),
      "sourcegraph-webhooks:gitlab[0].name: use letters, digits, '.', '_' and '-' only",
    ],
  ])("%s", (_what, config, message) => {
    let error: unknown;
    try {
      readDeclaration(PROJECT, config);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
  });

  it("lists every problem at once", () => {
    const problems = (() => {
      try {
        readDeclaration(PROJECT, {
          [`${PROJECT}:github`]: JSON.stringify([{ organizations: [1] }]),
          [`${PROJECT}:relay`]: JSON.stringify({ publicUrl: 3 }),
        });
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    })();
    expect(problems).toEqual([
      "sourcegraph-webhooks:github[0].organizations[0]: expected a string",
      "sourcegraph-webhooks:relay.publicUrl: expected a URL string such as https://host.example.com",
    ]);
  });

  it("lists every problem of the component's own checks too, each under its config key", () => {
    let error: unknown;
    try {
      readDeclaration(PROJECT, {
        [`${PROJECT}:github`]: JSON.stringify([{ repositories: ["tool"] }]),
        [`${PROJECT}:gitlab`]: JSON.stringify([{ projects: ["a/b", "a/b"] }, { projects: [1] }]),
        [`${PROJECT}:bitbucketServer`]: JSON.stringify([{ url: "https://b.example.com", scopes: [] }]),
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'sourcegraph-webhooks:github[0].repositories: "tool" must be written as <owner>/<repository>',
      'sourcegraph-webhooks:gitlab[0].projects: "a/b" is listed twice',
      'sourcegraph-webhooks:bitbucketServer[0].scopes: the list is empty; omit it for ["global"]',
      'sourcegraph-webhooks:gitlab[1]: resolves to the connection name "gitlab.com", as gitlab[0] does; give one of them a distinct "name"',
    ]);
  });

  it("ignores other namespaces (provider config such as github:owner)", () => {
    const args = readDeclaration(PROJECT, {
      "github:owner": "acme",
      [`${PROJECT}:gitlab`]: JSON.stringify([{ projects: [1] }]),
    });
    expect(args).toEqual({ gitlab: [{ projects: [1] }] });
  });
});
