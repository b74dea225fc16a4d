import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "../dynamic/forwarding-provider";
import { secretCredentials } from "./secret-credentials";

/** How to reach a Bitbucket Server / Data Center as a system administrator. */
export interface BitbucketServerConnectionInput {
  /**
   * The instance URL, with its context path if any, such as `https://bitbucket.example.com`.
   * Default: the `BITBUCKET_SERVER_URL` environment variable. Changing it replaces the webhook.
   */
  url?: pulumi.Input<string>;
  /**
   * A system administrator's HTTP access token (sent as `Authorization: Bearer`). Stored as a
   * secret so delete works later. Default: `BITBUCKET_SERVER_TOKEN`, read at call time and never stored.
   */
  token?: pulumi.Input<string>;
  /** A system administrator's username, with `password`. Default: `BITBUCKET_SERVER_USERNAME`. */
  username?: pulumi.Input<string>;
  /** The password of `username` (HTTP Basic). Stored as a secret. Default: `BITBUCKET_SERVER_PASSWORD`. */
  password?: pulumi.Input<string>;
}

export interface BitbucketServerWebhookArgs {
  /**
   * The Bitbucket Server to configure. Credentials must belong to a system administrator
   * (the plugin answers 401 to anyone else). Default: the `BITBUCKET_SERVER_*` environment variables.
   */
  bitbucketServer?: pulumi.Input<BitbucketServerConnectionInput>;
  /**
   * The plugin's webhook `name`, its upsert key: a hook with this name is adopted. Default
   * `<project>-<stack>-<resource name>`. At most 255 characters. Changing it replaces the webhook.
   */
  webhookName?: pulumi.Input<string>;
  /**
   * `global` (default), `project:<project name>` (the NAME, not the key) or
   * `repository:<PROJECT KEY>/<repository slug>`. Keep `global`: the plugin delivers no pull
   * request events to project or repository scopes.
   */
  scope?: pulumi.Input<string>;
  /** The receiver URL the plugin delivers to (its `endpoint`): the Sourcegraph receiver's `url`. */
  url: pulumi.Input<string>;
  /**
   * The shared secret the plugin signs deliveries with (`X-Hub-Signature: sha256=…`): the
   * Sourcegraph receiver's secret. Required in practice: the plugin sends nothing without one.
   */
  secret?: pulumi.Input<string>;
  /**
   * Event keys, a set. Default: batch changes plus push (`events.bitbucketServer`). Names the
   * plugin does not know fail with the list of valid ones.
   */
  events?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * A webhook of the Sourcegraph Bitbucket Server plugin (`/rest/sourcegraph-admin/1.0/webhook`),
 * delivering to a Sourcegraph incoming-webhook receiver.
 */
export class BitbucketServerWebhook extends pulumi.dynamic.Resource {
  /** The plugin's numeric webhook id. */
  declare public readonly webhookId: pulumi.Output<number>;
  /** The instance URL the webhook lives on (normalized, no trailing slash). */
  declare public readonly instanceUrl: pulumi.Output<string>;
  declare public readonly webhookName: pulumi.Output<string>;
  declare public readonly scope: pulumi.Output<string>;
  /** The scope as the plugin lists it (`repository:<project name>/<repository name>`). */
  declare public readonly remoteScope: pulumi.Output<string>;
  declare public readonly url: pulumi.Output<string>;
  /** Sorted. */
  declare public readonly events: pulumi.Output<string[]>;
  /** A Pulumi secret. */
  declare public readonly secret: pulumi.Output<string>;
  declare public readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: BitbucketServerWebhookArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("bitbucket-server"),
      name,
      {
        bitbucketServer: secretCredentials(args.bitbucketServer, ["token", "password"]),
        webhookName: args.webhookName ?? `${pulumi.getProject()}-${pulumi.getStack()}-${name}`,
        scope: args.scope ?? "global",
        url: args.url,
        secret: args.secret === undefined ? undefined : pulumi.secret(args.secret),
        events: args.events,
        webhookId: undefined,
        instanceUrl: undefined,
        remoteScope: undefined,
        schemaVersion: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secret", "bitbucketServer"],
      },
      "bitbucketserver",
      "Webhook",
    );
  }
}
