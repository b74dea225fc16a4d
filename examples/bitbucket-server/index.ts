// The Sourcegraph Bitbucket Server plugin's global webhook, delivering to one Sourcegraph receiver.
// The plugin must be installed, and the credentials must belong to a system administrator.
//
// Credentials: SRC_ENDPOINT / SRC_ACCESS_TOKEN; BITBUCKET_SERVER_TOKEN, or
// BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD.
import * as pulumi from "@pulumi/pulumi";
import { SourcegraphWebhooks } from "pulumi-sourcegraph-webhooks";

const config = new pulumi.Config();

const webhooks = new SourcegraphWebhooks("sourcegraph", {
  bitbucketServer: [
    {
      url: config.require("bitbucketServerUrl"),
      // `global` is the only scope the plugin delivers pull request events to.
      scopes: ["global"],
    },
  ],
});

export const receivers = webhooks.receivers;
// `receivers` and `hooks` under these names: `pulumi stack output --json | sg-webhooks doctor --outputs -` reads them.
export const hooks = webhooks.hooks;
