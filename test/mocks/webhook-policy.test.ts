// Proves the webhook-hygiene policy pack (examples/policy-pack/) reads the hooks SourcegraphWebhooks really declares: none violates it, and turning GitLab's TLS verification off is flagged on exactly those hooks.
import type { ResourceValidationArgs } from "@pulumi/policy";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { policies } from "../../examples/policy-pack/policies";
import { SourcegraphWebhooks, type SourcegraphWebhooksArgs } from "../../src/components/sourcegraph-webhooks";
import { installMocks, type Registered, resolved, unsecret } from "../harness/mock-engine";

let registered: Registered[];

beforeAll(async () => {
  registered = await installMocks();
});
beforeEach(() => {
  registered.length = 0;
});

/** Every violation of every policy on what the declaration registered: `policy: resource: message`. */
async function violationsOf(args: SourcegraphWebhooksArgs): Promise<string[]> {
  const c = new SourcegraphWebhooks("sg", args);
  await Promise.all([resolved(c.urn), resolved(c.receivers), resolved(c.hooks)]);
  const out: string[] = [];
  for (const r of registered.filter((x) => x.custom)) {
    const resource = {
      type: r.type,
      name: r.name,
      urn: r.name,
      props: unsecret(r.inputs),
    } as ResourceValidationArgs;
    for (const policy of policies)
      for (const validate of [policy.validateResource ?? []].flat())
        await validate(resource, (message) => out.push(`${policy.name}: ${r.name}: ${message}`));
  }
  return out;
}

const DECLARATION: SourcegraphWebhooksArgs = {
  sourcegraph: { endpoint: "https://sourcegraph.example.com", accessToken: "sg-test-token" },
  github: [{ token: "gh-test-token", organizations: ["acme"], repositories: ["octo/tool"] }],
  gitlab: [
    {
      url: "https://gitlab.example.com",
      token: "gl-test-token",
      projects: ["platform/api"],
      groups: ["infra"],
    },
  ],
  bitbucketServer: [{ url: "https://bitbucket.example.com", token: "bbs-test-token" }],
  bitbucketCloud: [{ token: "bbc-test-token", workspaces: ["acme-ws"], repositories: ["acme-ws/legacy"] }],
};

describe("the policy pack on what the component declares", () => {
  it("every hook of every code host passes, and there are hooks of each kind to check", async () => {
    expect(await violationsOf(DECLARATION)).toEqual([]);
    const types = new Set(registered.map((r) => r.type));
    for (const type of [
      "github:index/organizationWebhook:OrganizationWebhook",
      "github:index/repositoryWebhook:RepositoryWebhook",
      "pulumi-nodejs:dynamic/gitlab:ProjectHook",
      "pulumi-nodejs:dynamic/gitlab:GroupHook",
      "pulumi-nodejs:dynamic/bitbucketserver:Webhook",
      "pulumi-nodejs:dynamic/bitbucketcloud:Webhook",
    ])
      expect(types, type).toContain(type);
  });

  it("GitLab hooks with TLS verification off are flagged, each of them and nothing else", async () => {
    const found = await violationsOf({
      ...DECLARATION,
      gitlab: [{ ...DECLARATION.gitlab![0]!, enableSslVerification: false }],
    });
    expect(found).toHaveLength(2);
    expect(
      found.every((v) => /^webhook-verifies-tls: \S+: GitLab (project|group) hook does not verify/.test(v)),
    ).toBe(true);
  });
});
