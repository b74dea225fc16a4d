// One Bitbucket Cloud workspace webhook covers every repository of the workspace.
//
// Credentials: SRC_ENDPOINT / SRC_ACCESS_TOKEN; BITBUCKET_CLOUD_TOKEN (a workspace access token
// with the webhook scope), or BITBUCKET_CLOUD_EMAIL + BITBUCKET_CLOUD_API_TOKEN.
import * as pulumi from "@pulumi/pulumi";
import { SourcegraphWebhooks } from "pulumi-sourcegraph-webhooks";

const config = new pulumi.Config();

const webhooks = new SourcegraphWebhooks("sourcegraph", {
  bitbucketCloud: [
    {
      workspaces: [config.require("workspace")],
      // Sourcegraph older than 5.5 cannot verify Bitbucket Cloud signatures: set noSecret there.
      secret: config.getBoolean("noSecret") ? false : undefined,
    },
  ],
});

export const receivers = webhooks.receivers;
// `receivers` and `hooks` under these names: `pulumi stack output --json | sg-webhooks doctor --outputs -` reads them.
export const hooks = webhooks.hooks;
