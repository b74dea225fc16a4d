// Organization webhooks for every organization listed, plus repository webhooks where you are not
// an organization owner, all delivering to one Sourcegraph receiver for github.com.
//
// Credentials come from the environment: SRC_ENDPOINT and SRC_ACCESS_TOKEN (a Sourcegraph site
// admin), GITHUB_TOKEN (a classic token with admin:org_hook, and admin:repo_hook for repositories).
import * as pulumi from "@pulumi/pulumi";
import { events, SourcegraphWebhooks } from "pulumi-sourcegraph-webhooks";

const config = new pulumi.Config();

const webhooks = new SourcegraphWebhooks("sourcegraph", {
  github: [
    {
      organizations: config.requireObject<string[]>("organizations"),
      repositories: config.getObject<string[]>("repositories") ?? [],
      // Batch changes, repository push and repository permissions.
      events: [...events.github.batchChanges, ...events.github.push, ...events.github.permissions],
    },
  ],
});

export const receivers = webhooks.receivers;
// `receivers` and `hooks` under these names: `pulumi stack output --json | sg-webhooks doctor --outputs -` reads them.
export const hooks = webhooks.hooks;
