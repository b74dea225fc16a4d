import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "../dynamic/forwarding-provider";
import { secretCredentials } from "./secret-credentials";

/** How to reach Bitbucket Cloud. Credentials given here are stored in the state as secrets. */
export interface BitbucketCloudConnectionInput {
  /** The REST API base. Default `https://api.bitbucket.org/2.0`. Changing it replaces the hook. */
  apiUrl?: pulumi.Input<string>;
  /** An access token (repository, project or workspace access token, or OAuth), sent as Bearer. Fallback: `BITBUCKET_CLOUD_TOKEN`. Exclusive with `email` + `apiToken`. */
  token?: pulumi.Input<string>;
  /** The Atlassian account e-mail that goes with `apiToken` (API tokens do not authenticate with the username). Fallback: `BITBUCKET_CLOUD_EMAIL`. */
  email?: pulumi.Input<string>;
  /** An Atlassian API token with the webhook scopes. Fallback: `BITBUCKET_CLOUD_API_TOKEN`. */
  apiToken?: pulumi.Input<string>;
}

export interface BitbucketCloudWebhookArgs {
  /** The connection; every field falls back to the environment variables named on it, read when each call runs. */
  bitbucketCloud?: pulumi.Input<BitbucketCloudConnectionInput>;
  /** The workspace slug, as in `https://bitbucket.org/<workspace>/`. Changing it replaces the hook. */
  workspace: pulumi.Input<string>;
  /** The repository slug, as in `https://bitbucket.org/<workspace>/<repository>`. Omit it for a workspace hook, which covers every repository of the workspace with one object. Changing it replaces the hook. */
  repository?: pulumi.Input<string>;
  /** The receiver URL the hook delivers to (a Sourcegraph receiver's `url`). Also the identity an existing hook is adopted by. */
  url: pulumi.Input<string>;
  /** The shared secret (1 to 128 characters); Bitbucket signs deliveries with it in `X-Hub-Signature`. Omit it for an unsigned hook. Stored as a secret. */
  secret?: pulumi.Input<string>;
  /** Bitbucket Cloud event keys (a set). Default: `events.bitbucketCloud.batchChanges` plus `events.bitbucketCloud.push`. An unknown key fails with the valid ones. */
  events?: pulumi.Input<pulumi.Input<string>[]>;
  /** The hook's title in Bitbucket. Default `Sourcegraph (<project>-<stack>-<resource name>)`. */
  description?: pulumi.Input<string>;
}

/**
 * A Bitbucket Cloud repository webhook, or a workspace webhook when `repository` is omitted,
 * delivering to a Sourcegraph receiver. Type token `pulumi-nodejs:dynamic/bitbucketcloud:Webhook`.
 */
export class BitbucketCloudWebhook extends pulumi.dynamic.Resource {
  /** The hook's UUID, with braces (also the resource ID). */
  declare public readonly uuid: pulumi.Output<string>;
  /** The REST API base the hook lives on. */
  declare public readonly apiUrl: pulumi.Output<string>;
  declare public readonly workspace: pulumi.Output<string>;
  /** Undefined for a workspace hook. */
  declare public readonly repository: pulumi.Output<string | undefined>;
  /** The receiver URL. */
  declare public readonly url: pulumi.Output<string>;
  /** The subscribed event keys, sorted. */
  declare public readonly events: pulumi.Output<string[]>;
  declare public readonly description: pulumi.Output<string>;
  /** Whether the hook is active (the provider keeps it active). */
  declare public readonly active: pulumi.Output<boolean>;
  /** Whether Bitbucket reports a secret on the hook (`secret_set`). */
  declare public readonly secretSet: pulumi.Output<boolean>;
  /** The shared secret (secret). */
  declare public readonly secret: pulumi.Output<string | undefined>;
  declare public readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: BitbucketCloudWebhookArgs, opts?: pulumi.CustomResourceOptions) {
    const webhookName = `${pulumi.getProject()}-${pulumi.getStack()}-${name}`;
    super(
      forwardingProvider("bitbucket-cloud"),
      name,
      {
        // The tokens are secret whether or not the caller marked them so.
        bitbucketCloud: secretCredentials(args.bitbucketCloud, ["token", "apiToken"]),
        workspace: args.workspace,
        repository: args.repository,
        url: args.url,
        secret: args.secret === undefined ? undefined : pulumi.secret(args.secret),
        events: args.events,
        description: args.description ?? `Sourcegraph (${webhookName})`,
        uuid: undefined,
        apiUrl: undefined,
        active: undefined,
        secretSet: undefined,
        schemaVersion: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secret", "bitbucketCloud"],
      },
      "bitbucketcloud",
      "Webhook",
    );
  }
}
