import * as pulumi from "@pulumi/pulumi";
import type { CodeHostKind } from "../../providers/shared/code-host-kind";
import { forwardingProvider } from "../dynamic/forwarding-provider";
import { secretCredentials } from "./secret-credentials";

export interface SourcegraphReceiverArgs {
  /** The code host that delivers: `GITHUB`, `GITLAB`, `BITBUCKETSERVER` or `BITBUCKETCLOUD` (upper case). */
  codeHostKind: pulumi.Input<CodeHostKind>;
  /**
   * The code host's URL, as in its code host connection, such as `https://github.com` or
   * `https://gitlab.example.com`. Compared as Sourcegraph stores it (lower-case host, trailing slash).
   */
  codeHostUrn: pulumi.Input<string>;
  /**
   * The receiver's name in Sourcegraph. Default: `<project>-<stack>-<resource name>`, so stacks that
   * share a Sourcegraph never adopt each other's receivers. Part of the receiver's identity.
   */
  webhookName?: pulumi.Input<string>;
  /**
   * The shared secret code hosts sign deliveries with. Default: 40 random alphanumerics, generated
   * once. `false` for none (only Bitbucket Cloud receivers on Sourcegraph older than 5.5 need it).
   * Sourcegraph cannot remove a secret once set.
   */
  secret?: pulumi.Input<string | false>;
  /**
   * Take over a receiver made by hand under another name (matched on kind and code host URN; more
   * than one match is an error). Default false: only a receiver with this exact name is adopted.
   */
  adopt?: pulumi.Input<boolean>;
  /** The Sourcegraph instance and a site admin's access token. */
  sourcegraph?: pulumi.Input<{
    /** Instance URL such as `https://sourcegraph.example.com`. Default: `SRC_ENDPOINT`. Changing it replaces the receiver. */
    endpoint?: pulumi.Input<string>;
    /** A site admin's access token, stored as a secret. Default: `SRC_ACCESS_TOKEN`, read at call time. */
    accessToken?: pulumi.Input<string>;
  }>;
}

/**
 * A Sourcegraph incoming-webhook receiver ("Site admin > Incoming webhooks"). Its `url` and
 * `secret` go to the code host's webhook.
 */
export class SourcegraphReceiver extends pulumi.dynamic.Resource {
  /** The receiver's UUID, the last segment of `url`. */
  declare public readonly uuid: pulumi.Output<string>;
  /** Where the code host delivers: `<Sourcegraph>/.api/webhooks/<uuid>`. */
  declare public readonly url: pulumi.Output<string>;
  /** The shared secret (a Pulumi secret); undefined when the receiver has none. */
  declare public readonly secret: pulumi.Output<string>;
  /** The GraphQL ID of the receiver, also its Pulumi ID. */
  declare public readonly webhookId: pulumi.Output<string>;
  declare public readonly codeHostKind: pulumi.Output<CodeHostKind>;
  /** The code host URN as Sourcegraph stores it, such as `https://github.com/`. */
  declare public readonly codeHostUrn: pulumi.Output<string>;
  declare public readonly webhookName: pulumi.Output<string>;
  /** The Sourcegraph instance the receiver lives on; read, update and delete always use it. */
  declare public readonly endpoint: pulumi.Output<string>;
  /** The shape of the stored outputs. */
  declare public readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: SourcegraphReceiverArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("sourcegraph"),
      name,
      {
        codeHostKind: args.codeHostKind,
        codeHostUrn: args.codeHostUrn,
        webhookName: args.webhookName ?? `${pulumi.getProject()}-${pulumi.getStack()}-${name}`,
        secret: args.secret === undefined ? undefined : pulumi.secret(args.secret),
        adopt: args.adopt,
        // The token is secret whether or not the caller marked it so.
        sourcegraph: secretCredentials(args.sourcegraph, ["accessToken"]),
        uuid: undefined,
        url: undefined,
        webhookId: undefined,
        endpoint: undefined,
        schemaVersion: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secret", "sourcegraph"],
      },
      "sourcegraph",
      "Receiver",
    );
  }
}
