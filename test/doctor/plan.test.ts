// Doctor's inputs and plan: a stack file read as the root program reads it (project from the
// Pulumi.yaml beside it, stack from its name, `secure:` values never read), the stack outputs, and
// what each yields to check; every unreadable input is a usage error that names the fix.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseStackOutputs } from "../../src/doctor/inputs/outputs-file";
import { readStackFile } from "../../src/doctor/inputs/stack-file";
import { UsageError } from "../../src/doctor/inputs/usage-error";
import {
  hookLabel,
  planFromOutputs,
  planFromStackFile,
  relayBase,
  selectConnection,
} from "../../src/doctor/plan";
import { loadPlan } from "../../src/doctor/run";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stackDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "doctor-plan-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const PROJECT = "name: sourcegraph-webhooks\nruntime: nodejs\n";
const STACK = `config:
  sourcegraph-webhooks:sourcegraph:
    endpoint: https://sourcegraph.example.com
    accessToken:
      secure: v1:AAAAencryptedsgtoken
  sourcegraph-webhooks:github:
    - organizations: [acme]
      repositories: [octo/hello]
      token:
        secure: v1:AAAAencryptedghtoken
  sourcegraph-webhooks:gitlab:
    - url: https://gitlab.example.com/
      token: glpat-plain-in-file
      projects: [group/app, 42]
      groups: [platform]
      enableSslVerification: false
      features: [push]
  sourcegraph-webhooks:bitbucketServer:
    - url: https://bitbucket.example.com
      scopes: [global, "project:Platform Team"]
  sourcegraph-webhooks:bitbucketCloud:
    - workspaces: [acme]
      repositories: [acme/widgets]
      receiverName: bbc-by-hand
  sourcegraph-webhooks:relay:
    publicUrl: https://relay.example.com/
`;

describe("readStackFile and planFromStackFile", () => {
  it("names every connection, receiver and hook as the root program deploys them", () => {
    const dir = stackDir({ "Pulumi.yaml": PROJECT, "Pulumi.prod.yaml": STACK });
    const file = readStackFile(join(dir, "Pulumi.prod.yaml"));
    expect(file.project).toBe("sourcegraph-webhooks");
    expect(file.stack).toBe("prod");
    expect(file.encrypted).toEqual(["sourcegraph.accessToken", "github[0].token"]);
    const plan = planFromStackFile(file, {});
    expect(plan.sourcegraphEndpoint).toBe("https://sourcegraph.example.com");
    // An encrypted token is never read: the environment's stands in for it.
    expect(plan.sourcegraphToken).toBeUndefined();
    expect(JSON.stringify(plan)).not.toContain("encrypted");
    const [github, gitlab, bbs, bbc] = plan.connections;
    expect(github).toMatchObject({
      id: "github/github.com",
      codeHostKind: "GITHUB",
      codeHostUrn: "https://github.com",
      receiverName: "sourcegraph-webhooks-prod-sourcegraph-github-github.com",
      relayUrl: "https://relay.example.com",
    });
    expect(github!.declaredCredentials).toBeUndefined();
    expect(github!.hooks.map(hookLabel)).toEqual(["organization acme", "repository octo/hello"]);
    expect(github!.hooks[0]).toMatchObject({ apiUrl: "https://api.github.com" });
    expect(github!.hooks[0]!.events).toContain("pull_request");
    expect(gitlab).toMatchObject({
      id: "gitlab/gitlab.example.com",
      codeHostUrn: "https://gitlab.example.com",
      declaredCredentials: { token: "glpat-plain-in-file" },
    });
    expect(gitlab!.hooks.map(hookLabel)).toEqual(["project group/app", "project 42", "group platform"]);
    expect(gitlab!.hooks[0]).toMatchObject({
      apiUrl: "https://gitlab.example.com",
      events: ["push_events"],
      sslVerification: false,
    });
    expect(bbs!.hooks.map((h) => h.expectedName)).toEqual([
      "sourcegraph-webhooks-prod-sourcegraph-bitbucketServer-bitbucket.example.com-global",
      "sourcegraph-webhooks-prod-sourcegraph-bitbucketServer-bitbucket.example.com-project-Platform Team",
    ]);
    expect(bbc).toMatchObject({ id: "bitbucketCloud/bitbucket.org", receiverName: "bbc-by-hand" });
    expect(bbc!.hooks.map(hookLabel)).toEqual(["workspace acme", "repository acme/widgets"]);
    expect(bbc!.hooks[0]!.apiUrl).toBe("https://api.bitbucket.org/2.0");
  });

  it("--project and --stack override the names read from the files", () => {
    const dir = stackDir({ "stack.yaml": STACK.replaceAll("sourcegraph-webhooks:", "other:") });
    const file = readStackFile(join(dir, "stack.yaml"), { project: "other", stack: "staging" });
    expect(planFromStackFile(file, {}).connections[0]!.receiverName).toBe(
      "other-staging-sourcegraph-github-github.com",
    );
  });

  it.each([
    ["a missing stack file", {}, "Pulumi.prod.yaml", {}, /cannot read the stack file .*ENOENT/],
    ["no Pulumi.yaml beside it", { "Pulumi.prod.yaml": STACK }, "Pulumi.prod.yaml", {}, /pass --project/],
    [
      "a file name without the stack",
      { "Pulumi.yaml": PROJECT, "prod.yaml": STACK },
      "prod.yaml",
      {},
      /pass --stack/,
    ],
    [
      "YAML that does not parse",
      { "Pulumi.yaml": PROJECT, "Pulumi.prod.yaml": "config: [\n  token: glpat-secret" },
      "Pulumi.prod.yaml",
      {},
      /not valid YAML/,
    ],
    [
      "no config block",
      { "Pulumi.yaml": PROJECT, "Pulumi.prod.yaml": "other: 1\n" },
      "Pulumi.prod.yaml",
      {},
      /no config: block/,
    ],
    [
      "another project's keys",
      { "Pulumi.yaml": PROJECT, "Pulumi.prod.yaml": STACK },
      "Pulumi.prod.yaml",
      { project: "nope" },
      /declares nothing under the project "nope"/,
    ],
    [
      "a declaration the root program refuses",
      {
        "Pulumi.yaml": PROJECT,
        "Pulumi.prod.yaml": "config:\n  sourcegraph-webhooks:gitlab:\n    - projects: []\n",
      },
      "Pulumi.prod.yaml",
      {},
      /sourcegraph-webhooks:gitlab\[0\]: declares no hook/,
    ],
  ])("%s is a usage error that names the fix", (_what, files, name, options, message) => {
    const dir = stackDir(files as Record<string, string>);
    const err = (() => {
      try {
        readStackFile(join(dir, name), options);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    // The YAML parser's message would quote the line: the secret on it stays out.
    expect((err as Error).message).not.toContain("glpat-secret");
  });
});

const OUTPUTS = {
  receivers: [
    {
      connection: "gitlab/gitlab.example.com",
      codeHostKind: "GITLAB",
      codeHostUrn: "https://gitlab.example.com",
      uuid: "7b0c1f9e-1111-4c1d-8c39-000000000001",
      url: "https://sg.example.com/.api/webhooks/7b0c1f9e-1111-4c1d-8c39-000000000001",
      deliveryUrl: "https://relay.example.com/.api/webhooks/7b0c1f9e-1111-4c1d-8c39-000000000001",
    },
    {
      connection: "github/github.com",
      codeHostKind: "GITHUB",
      codeHostUrn: "https://github.com",
      uuid: "7b0c1f9e-2222-4c1d-8c39-000000000002",
      url: "https://sg.example.com/.api/webhooks/7b0c1f9e-2222-4c1d-8c39-000000000002",
      deliveryUrl: "https://sg.example.com/.api/webhooks/7b0c1f9e-2222-4c1d-8c39-000000000002",
    },
  ],
  hooks: [
    {
      connection: "gitlab/gitlab.example.com",
      codeHost: "gitlab",
      kind: "project",
      target: "group/app",
      id: 17,
      receiverUuid: "7b0c1f9e-1111-4c1d-8c39-000000000001",
      deliveryUrl: "https://relay.example.com/.api/webhooks/7b0c1f9e-1111-4c1d-8c39-000000000001",
      apiUrl: "https://gitlab.example.com/api/v4",
    },
    {
      connection: "github/github.com",
      codeHost: "github",
      kind: "organization",
      target: "acme",
      id: "123456",
      receiverUuid: "7b0c1f9e-2222-4c1d-8c39-000000000002",
      deliveryUrl: "https://sg.example.com/.api/webhooks/7b0c1f9e-2222-4c1d-8c39-000000000002",
    },
  ],
  relayReceiversFile: "[secret]",
};

describe("parseStackOutputs and planFromOutputs", () => {
  it("reads receivers and hooks as deployed, with the relay and each API base", () => {
    const plan = planFromOutputs(parseStackOutputs(JSON.stringify(OUTPUTS), "outputs.json"), {});
    expect(plan.sourcegraphEndpoint).toBe("https://sg.example.com");
    const [gitlab, github] = plan.connections;
    expect(gitlab).toMatchObject({
      codeHost: "gitlab",
      receiverUuid: OUTPUTS.receivers[0]!.uuid,
      relayUrl: "https://relay.example.com",
    });
    expect(gitlab!.hooks).toEqual([
      { kind: "project", target: "group/app", id: "17", apiUrl: "https://gitlab.example.com" },
    ]);
    expect(github!.relayUrl).toBeUndefined();
    expect(github!.hooks[0]).toMatchObject({ id: "123456", apiUrl: "https://api.github.com" });
    expect(
      planFromOutputs(parseStackOutputs(JSON.stringify(OUTPUTS), "x"), {
        SRC_ENDPOINT: "https://internal:7080",
      }).sourcegraphEndpoint,
    ).toBe("https://internal:7080");
  });

  it("a stack deployed without the hooks output still has its receivers", () => {
    const outputs = parseStackOutputs(JSON.stringify({ receivers: OUTPUTS.receivers }), "x");
    expect(outputs.hooks).toBeUndefined();
    expect(planFromOutputs(outputs, {}).connections.every((c) => c.hooks.length === 0)).toBe(true);
  });

  it.each([
    ["not JSON", "{", /is not JSON/],
    ["no receivers", "{}", /has no receivers output/],
    ["receivers shown as [secret]", '{"receivers": "[secret]"}', /--show-secrets/],
    [
      "a receiver without its uuid",
      JSON.stringify({ receivers: [{ ...OUTPUTS.receivers[0], uuid: undefined }] }),
      /receivers\[0\]\.uuid/,
    ],
    [
      "a hook of an unknown kind",
      JSON.stringify({ ...OUTPUTS, hooks: [{ ...OUTPUTS.hooks[0], kind: "system" }] }),
      /hooks\[0\]\.kind/,
    ],
  ])("%s is a usage error", (_what, text, message) => {
    expect(() => parseStackOutputs(text, "outputs.json")).toThrow(UsageError);
    expect(() => parseStackOutputs(text, "outputs.json")).toThrow(message);
  });

  it("relayBase strips the receiver path", () => {
    expect(relayBase("https://relay.example.com/prefix/.api/webhooks/u")).toBe(
      "https://relay.example.com/prefix",
    );
  });
});

describe("loadPlan", () => {
  it("takes exactly one of --config and --outputs", () => {
    expect(() => loadPlan({})).toThrow(/exactly one of --config/);
    expect(() => loadPlan({ config: "a", outputs: "b" })).toThrow(UsageError);
  });

  it("reads --outputs - from standard input, and --connection narrows the plan", () => {
    const plan = loadPlan({
      outputs: "-",
      stdin: () => JSON.stringify(OUTPUTS),
      connection: "github/github.com",
    });
    expect(plan.connections.map((c) => c.id)).toEqual(["github/github.com"]);
  });

  it("an unknown --connection lists the valid ones", () => {
    const plan = planFromOutputs(parseStackOutputs(JSON.stringify(OUTPUTS), "x"), {});
    expect(() => selectConnection(plan, "gitlab/nope")).toThrow(
      "--connection gitlab/nope: no such connection; valid: gitlab/gitlab.example.com, github/github.com",
    );
  });
});
