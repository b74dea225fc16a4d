// Every code host at once, delivering to an `sg-webhooks serve` relay in front of Sourcegraph. The
// relay verifies each delivery, stores it, and forwards it to Sourcegraph; its receivers file is a
// stack output (a secret).
//
// Credentials from the environment: SRC_ENDPOINT, SRC_ACCESS_TOKEN, GITHUB_TOKEN, GITLAB_TOKEN,
// BITBUCKET_SERVER_TOKEN, BITBUCKET_CLOUD_TOKEN.
import * as pulumi from "@pulumi/pulumi";
import { SourcegraphWebhooks } from "pulumi-sourcegraph-webhooks";

const config = new pulumi.Config();

const webhooks = new SourcegraphWebhooks("sourcegraph", {
  relay: { publicUrl: config.require("relayPublicUrl") },
  github: [{ organizations: [config.require("githubOrganization")] }],
  gitlab: [{ url: config.require("gitlabUrl"), groups: [config.require("gitlabGroup")] }],
  bitbucketServer: [{ url: config.require("bitbucketServerUrl") }],
  bitbucketCloud: [{ workspaces: [config.require("bitbucketCloudWorkspace")] }],
});

export const receivers = webhooks.receivers;
// `receivers` and `hooks` under these names: `pulumi stack output --json | sg-webhooks doctor --outputs -` reads them.
export const hooks = webhooks.hooks;
/** `pulumi stack output --show-secrets relayReceiversFile > receivers.json` */
export const relayReceiversFile = webhooks.relayReceiversFile;
