import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "../dynamic/forwarding-provider";
import { secretCredentials } from "./secret-credentials";

/** How to reach GitLab. A token given here is stored in the state as a secret, so destroy works later. */
export interface GitLabConnectionInput {
  /** The instance URL such as `https://gitlab.example.com` (not the `/api/v4` base). Fallback: `GITLAB_URL`, then `https://gitlab.com`. Changing it replaces the hook. */
  url?: pulumi.Input<string>;
  /** A personal, project or group access token with the `api` scope. Fallback: `GITLAB_TOKEN`, read when each call runs (and not stored). */
  token?: pulumi.Input<string>;
}

interface GitLabHookCommonArgs {
  /** The connection; omitted fields fall back to the environment variables named on them. */
  gitlab?: pulumi.Input<GitLabConnectionInput>;
  /** The receiver URL the hook delivers to (a Sourcegraph receiver's `url`). Also the identity an existing hook is adopted by. */
  url: pulumi.Input<string>;
  /** GitLab's "secret token", sent verbatim in `X-Gitlab-Token` (no line breaks). Omit it for no token. Stored as a secret; GitLab never returns it. */
  secret?: pulumi.Input<string>;
  /** GitLab hook event fields (a set) such as `merge_requests_events`. Default: `events.gitlab.batchChanges` plus `events.gitlab.push`. An unknown name fails with the valid ones. */
  events?: pulumi.Input<pulumi.Input<string>[]>;
  /** Whether GitLab verifies the receiver's TLS certificate. Default `true`. */
  enableSslVerification?: pulumi.Input<boolean>;
}

export interface GitLabProjectHookArgs extends GitLabHookCommonArgs {
  /** The project: its numeric ID or full path such as `group/sub/project`. Needs the Maintainer role. Changing it to another project replaces the hook. */
  project: pulumi.Input<string | number>;
}

export interface GitLabGroupHookArgs extends GitLabHookCommonArgs {
  /** The group: its numeric ID or full path such as `group/subgroup`. Needs the Owner role and GitLab Premium or Ultimate. Changing it replaces the hook. */
  group: pulumi.Input<string | number>;
}

function props(args: GitLabHookCommonArgs): pulumi.Inputs {
  return {
    // The token is secret whether or not the caller marked it so.
    gitlab: secretCredentials(args.gitlab, ["token"]),
    url: args.url,
    secret: args.secret === undefined ? undefined : pulumi.secret(args.secret),
    events: args.events,
    enableSslVerification: args.enableSslVerification,
    hookId: undefined,
    gitlabUrl: undefined,
    gitlabToken: undefined,
    schemaVersion: undefined,
  };
}

const secretOutputs = (opts?: pulumi.CustomResourceOptions) => ({
  ...opts,
  additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secret", "gitlabToken", "gitlab"],
});

/**
 * A GitLab project webhook delivering to a Sourcegraph receiver. Type token
 * `pulumi-nodejs:dynamic/gitlab:ProjectHook`.
 */
export class GitLabProjectHook extends pulumi.dynamic.Resource {
  /** GitLab's numeric hook ID (the resource ID is the same number as a string). */
  declare public readonly hookId: pulumi.Output<number>;
  /** The instance URL the hook lives on. */
  declare public readonly gitlabUrl: pulumi.Output<string>;
  /** The project as declared (ID or path). */
  declare public readonly project: pulumi.Output<string>;
  /** The project's numeric ID, as GitLab reports it. */
  declare public readonly projectId: pulumi.Output<number>;
  /** The receiver URL. */
  declare public readonly url: pulumi.Output<string>;
  /** The event fields that are on, sorted. */
  declare public readonly events: pulumi.Output<string[]>;
  declare public readonly enableSslVerification: pulumi.Output<boolean>;
  /** The secret token (secret). */
  declare public readonly secret: pulumi.Output<string | undefined>;
  declare public readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: GitLabProjectHookArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("gitlab", "projectHookProvider"),
      name,
      { ...props(args), project: args.project, projectId: undefined },
      secretOutputs(opts),
      "gitlab",
      "ProjectHook",
    );
  }
}

/**
 * A GitLab group webhook (GitLab Premium or Ultimate) delivering to a Sourcegraph receiver. Type
 * token `pulumi-nodejs:dynamic/gitlab:GroupHook`.
 */
export class GitLabGroupHook extends pulumi.dynamic.Resource {
  /** GitLab's numeric hook ID (the resource ID is the same number as a string). */
  declare public readonly hookId: pulumi.Output<number>;
  /** The instance URL the hook lives on. */
  declare public readonly gitlabUrl: pulumi.Output<string>;
  /** The group as declared (ID or path). */
  declare public readonly group: pulumi.Output<string>;
  /** The group's numeric ID, as GitLab reports it. */
  declare public readonly groupId: pulumi.Output<number>;
  /** The receiver URL. */
  declare public readonly url: pulumi.Output<string>;
  /** The event fields that are on, sorted. */
  declare public readonly events: pulumi.Output<string[]>;
  declare public readonly enableSslVerification: pulumi.Output<boolean>;
  /** The secret token (secret). */
  declare public readonly secret: pulumi.Output<string | undefined>;
  declare public readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: GitLabGroupHookArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("gitlab", "groupHookProvider"),
      name,
      { ...props(args), group: args.group, groupId: undefined },
      secretOutputs(opts),
      "gitlab",
      "GroupHook",
    );
  }
}
