// Project hooks on a self-managed GitLab (or gitlab.com), delivering to one Sourcegraph receiver.
//
// Credentials: SRC_ENDPOINT / SRC_ACCESS_TOKEN for Sourcegraph; the GitLab token (api scope,
// Maintainer on each project) from encrypted config or GITLAB_TOKEN.
import * as pulumi from "@pulumi/pulumi";
import { SourcegraphWebhooks } from "pulumi-sourcegraph-webhooks";

const config = new pulumi.Config();

const webhooks = new SourcegraphWebhooks("sourcegraph", {
  sourcegraph: {
    endpoint: config.get("sourcegraphEndpoint"),
    accessToken: config.getSecret("sourcegraphToken"),
  },
  gitlab: [
    {
      url: config.get("gitlabUrl") ?? "https://gitlab.com",
      token: config.getSecret("gitlabToken"),
      projects: config.requireObject<string[]>("projects"),
      features: ["batchChanges", "push"],
    },
  ],
});

export const receivers = webhooks.receivers;
// `receivers` and `hooks` under these names: `pulumi stack output --json | sg-webhooks doctor --outputs -` reads them.
export const hooks = webhooks.hooks;
