// Proves the component plans updates, not replacements, when a credential is unknown during preview.
// During preview a credential made by another resource in the same update is unknown. The
// connection objects must keep their known instance URL then: a connection that is unknown as a
// whole makes every provider's diff plan a replacement (another instance) instead of an update.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, expect, it } from "vitest";
import { BitbucketCloudWebhook } from "../../src/resources/bitbucket-cloud-webhook";
import { BitbucketServerWebhook } from "../../src/resources/bitbucket-server-webhook";
import { GitLabGroupHook, GitLabProjectHook } from "../../src/resources/gitlab-hooks";
import { SourcegraphReceiver } from "../../src/resources/sourcegraph-receiver";

const registered = new Map<string, Record<string, any>>();

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.set(args.name, args.inputs);
        // "token-source" answers without outputs: in a preview, they are unknown.
        return { id: `${args.name}-id`, state: args.name === "token-source" ? {} : args.inputs };
      },
      call: (args) => args.inputs,
    },
    "sgw",
    "preview",
    true,
  );
});

it("keeps each connection's instance URL known when only its credential is unknown", async () => {
  const source = new SourcegraphReceiver("token-source", {
    codeHostKind: "GITLAB",
    codeHostUrn: "https://g",
  });
  const token = source.secret as pulumi.Output<string>;
  const hook = { url: "https://sg.example.com/.api/webhooks/u", secret: "s" };
  const made = [
    new SourcegraphReceiver("receiver", {
      codeHostKind: "GITLAB",
      codeHostUrn: "https://gitlab.example.com",
      sourcegraph: { endpoint: "https://sg.example.com", accessToken: token },
    }),
    new GitLabProjectHook("project-hook", {
      ...hook,
      project: "a/b",
      gitlab: { url: "https://gitlab.example.com", token },
    }),
    new GitLabGroupHook("group-hook", {
      ...hook,
      group: "a",
      gitlab: { url: "https://gitlab.example.com", token },
    }),
    new BitbucketServerWebhook("bbs-hook", {
      ...hook,
      bitbucketServer: { url: "https://bbs.example.com", token },
    }),
    new BitbucketCloudWebhook("bbc-hook", {
      ...hook,
      workspace: "acme",
      bitbucketCloud: { apiUrl: "https://api.bitbucket.org/2.0", email: "ops@example.com", apiToken: token },
    }),
  ];
  await Promise.all(made.map((r) => new Promise((resolve) => r.urn.apply(resolve))));
  await new Promise((r) => setTimeout(r, 50));

  expect(registered.get("receiver")?.sourcegraph?.endpoint).toBe("https://sg.example.com");
  expect(registered.get("project-hook")?.gitlab?.url).toBe("https://gitlab.example.com");
  expect(registered.get("group-hook")?.gitlab?.url).toBe("https://gitlab.example.com");
  expect(registered.get("bbs-hook")?.bitbucketServer?.url).toBe("https://bbs.example.com");
  expect(registered.get("bbc-hook")?.bitbucketCloud?.apiUrl).toBe("https://api.bitbucket.org/2.0");
  expect(registered.get("bbc-hook")?.bitbucketCloud?.email).toBe("ops@example.com");
});
