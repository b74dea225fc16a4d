import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import type { CodeHostKind } from "../../providers/shared/code-host-kind";
import { BitbucketCloudWebhook } from "../resources/bitbucket-cloud-webhook";
import { BitbucketServerWebhook } from "../resources/bitbucket-server-webhook";
import { GitLabGroupHook, GitLabProjectHook } from "../resources/gitlab-hooks";
import { SourcegraphReceiver } from "../resources/sourcegraph-receiver";
import type {
  BitbucketCloudConnectionArgs,
  BitbucketServerConnectionArgs,
  GitHubConnectionArgs,
  GitLabConnectionArgs,
  SourcegraphWebhooksArgs,
} from "./args";
import {
  assertNoDuplicates,
  assertSomeTargets,
  assertUniqueKeys,
  connectionKey,
  parseHttpUrl,
  relayHookUrl,
  selectEvents,
  splitRepository,
  trimSlashes,
  validateBitbucketServerScope,
  validateRelayUrl,
  warnShortSecrets,
} from "./validation";

export type { CodeHostKind } from "../../providers/shared/code-host-kind";
export type * from "./args";

/** One receiver of the component, as it appears in `receivers`. */
export interface ReceiverSummary {
  /** `<code host>/<connection name>`, such as `gitlab/gitlab.example.com`. */
  connection: string;
  codeHostKind: CodeHostKind;
  codeHostUrn: string;
  uuid: string;
  /** The receiver URL in Sourcegraph. */
  url: string;
  /** Where this connection's hooks deliver: the receiver URL, or the relay's URL for it. */
  deliveryUrl: string;
}

/** One entry of the relay's receivers file (`sg-webhooks serve --receivers FILE`). */
export interface RelayReceiver {
  uuid: string;
  codeHostKind: CodeHostKind;
  secrets: string[];
}

const GITHUB_COM = "https://github.com";

/**
 * Sourcegraph incoming webhooks as one declaration: for each code host connection one
 * `SourcegraphReceiver`, and every webhook of that connection delivering to it with its secret.
 */
export class SourcegraphWebhooks extends pulumi.ComponentResource {
  /** Every receiver: connection, kind, code host URL, UUID, receiver URL and delivery URL. */
  public readonly receivers: pulumi.Output<ReceiverSummary[]>;
  /** The relay's receivers file (JSON, a secret), or undefined without `relay`. */
  public readonly relayReceiversFile: pulumi.Output<string | undefined>;
  /** The receiver resources, keyed by `<code host>/<connection name>`. */
  public readonly receiverResources: Record<string, SourcegraphReceiver> = {};
  /** GitHub organization webhooks, keyed by resource name. */
  public readonly githubOrganizationWebhooks: Record<string, github.OrganizationWebhook> = {};
  /** GitHub repository webhooks, keyed by resource name. */
  public readonly githubRepositoryWebhooks: Record<string, github.RepositoryWebhook> = {};
  /** GitLab project hooks, keyed by resource name. */
  public readonly gitlabProjectHooks: Record<string, GitLabProjectHook> = {};
  /** GitLab group hooks, keyed by resource name. */
  public readonly gitlabGroupHooks: Record<string, GitLabGroupHook> = {};
  /** Bitbucket Server plugin webhooks, keyed by resource name. */
  public readonly bitbucketServerWebhooks: Record<string, BitbucketServerWebhook> = {};
  /** Bitbucket Cloud webhooks, keyed by resource name. */
  public readonly bitbucketCloudWebhooks: Record<string, BitbucketCloudWebhook> = {};

  private readonly summaries: pulumi.Output<ReceiverSummary>[] = [];
  private readonly relayEntries: pulumi.Output<RelayReceiver>[] = [];
  private readonly relayUrl: string | undefined;

  constructor(name: string, args: SourcegraphWebhooksArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything, so a wrong declaration leaves no trace in the plan.
    validateDeclaration(args);
    const relayUrl = args.relay ? validateRelayUrl(args.relay.publicUrl) : undefined;
    super("sourcegraph-webhooks:index:SourcegraphWebhooks", name, {}, opts);
    warnShortSecrets(args, this);
    this.relayUrl = relayUrl;

    const keys = connectionKeys(args);

    for (const [i, c] of (args.github ?? []).entries()) this.addGitHub(name, args, c, keys.github[i]!, i);
    for (const [i, c] of (args.gitlab ?? []).entries()) this.addGitLab(name, args, c, keys.gitlab[i]!, i);
    for (const [i, c] of (args.bitbucketServer ?? []).entries()) {
      this.addBitbucketServer(name, args, c, keys.bitbucketServer[i]!, i);
    }
    for (const [i, c] of (args.bitbucketCloud ?? []).entries()) {
      this.addBitbucketCloud(name, args, c, keys.bitbucketCloud[i]!, i);
    }

    this.receivers = pulumi.all(this.summaries);
    this.relayReceiversFile = this.relayUrl
      ? pulumi.secret(pulumi.all(this.relayEntries).apply((list) => JSON.stringify(list, null, 2)))
      : pulumi.output(undefined);
    this.registerOutputs({ receivers: this.receivers, relayReceiversFile: this.relayReceiversFile });
  }

  /** The receiver of one connection, its delivery URL and the secret its hooks share. */
  private addReceiver(
    prefix: string,
    args: SourcegraphWebhooksArgs,
    host: string,
    key: string,
    kind: CodeHostKind,
    codeHostUrn: string,
    c: { secret?: pulumi.Input<string> | false; receiverName?: string; adopt?: boolean },
  ): { deliveryUrl: pulumi.Output<string>; secret: pulumi.Output<string> | undefined } {
    const sg = args.sourcegraph ?? {};
    const receiver = new SourcegraphReceiver(
      `${prefix}-${host}-${key}`,
      {
        codeHostKind: kind,
        codeHostUrn,
        webhookName: c.receiverName,
        secret: c.secret === false ? false : c.secret === undefined ? undefined : pulumi.secret(c.secret),
        adopt: c.adopt,
        sourcegraph: {
          endpoint: sg.endpoint,
          accessToken: sg.accessToken === undefined ? undefined : pulumi.secret(sg.accessToken),
        },
      },
      { parent: this },
    );
    const connection = `${host}/${key}`;
    this.receiverResources[connection] = receiver;
    const relay = this.relayUrl;
    const deliveryUrl = relay ? receiver.uuid.apply((uuid) => relayHookUrl(relay, uuid)) : receiver.url;
    const secret = c.secret === false ? undefined : receiver.secret;
    this.summaries.push(
      pulumi.all([receiver.uuid, receiver.url, deliveryUrl]).apply(([uuid, url, delivery]) => ({
        connection,
        codeHostKind: kind,
        codeHostUrn,
        uuid,
        url,
        deliveryUrl: delivery,
      })),
    );
    this.relayEntries.push(
      pulumi
        .all([receiver.uuid, secret ?? pulumi.output(undefined)])
        .apply(([uuid, s]) => ({ uuid, codeHostKind: kind, secrets: s ? [s] : [] })),
    );
    return { deliveryUrl, secret };
  }

  private addGitHub(
    prefix: string,
    args: SourcegraphWebhooksArgs,
    c: GitHubConnectionArgs,
    key: string,
    i: number,
  ): void {
    const where = `github[${i}]`;
    const events = selectEvents("github", c, where);
    const url = trimSlashes(c.url ?? GITHUB_COM);
    const { deliveryUrl, secret } = this.addReceiver(prefix, args, "github", key, "GITHUB", url, c);
    const base = `${prefix}-github-${key}`;
    const providers = new Map<string, pulumi.ProviderResource>(Object.entries(c.providers ?? {}));
    const providerFor = (owner: string): pulumi.ProviderResource => {
      let p = providers.get(owner);
      if (!p) {
        p = new github.Provider(
          `${base}-${owner}`,
          {
            owner,
            baseUrl: githubApiBase(url),
            token: c.token === undefined ? undefined : pulumi.secret(c.token),
          },
          { parent: this },
        );
        providers.set(owner, p);
      }
      return p;
    };
    // GitHub's default content type is form; Sourcegraph's incoming-webhooks documentation asks for
    // application/json.
    const configuration = { url: deliveryUrl, contentType: "json", insecureSsl: false, secret };
    for (const org of c.organizations ?? []) {
      const hookName = `${base}-org-${org}`;
      this.githubOrganizationWebhooks[hookName] = new github.OrganizationWebhook(
        hookName,
        { events, active: true, configuration },
        { parent: this, provider: providerFor(org) },
      );
    }
    for (const repo of c.repositories ?? []) {
      const { owner, name } = splitRepository(repo, `${where}.repositories`);
      const hookName = `${base}-repo-${owner}/${name}`;
      // The repository argument is the name only: the owner comes from the provider
      // (an `owner/name` value makes @pulumi/github call /repos/<owner>/<owner>/<name>, pulumi-github#530).
      this.githubRepositoryWebhooks[hookName] = new github.RepositoryWebhook(
        hookName,
        { repository: name, events, active: true, configuration },
        { parent: this, provider: providerFor(owner) },
      );
    }
  }

  private addGitLab(
    prefix: string,
    args: SourcegraphWebhooksArgs,
    c: GitLabConnectionArgs,
    key: string,
    i: number,
  ): void {
    const events = selectEvents("gitlab", c, `gitlab[${i}]`);
    const url = gitlabUrl(c);
    const { deliveryUrl, secret } = this.addReceiver(prefix, args, "gitlab", key, "GITLAB", url, c);
    const base = `${prefix}-gitlab-${key}`;
    const gitlab = { url, token: c.token === undefined ? undefined : pulumi.secret(c.token) };
    const common = {
      gitlab,
      url: deliveryUrl,
      secret,
      events,
      enableSslVerification: c.enableSslVerification,
    };
    for (const project of c.projects ?? []) {
      const hookName = `${base}-project-${project}`;
      this.gitlabProjectHooks[hookName] = new GitLabProjectHook(
        hookName,
        { ...common, project },
        { parent: this },
      );
    }
    for (const group of c.groups ?? []) {
      const hookName = `${base}-group-${group}`;
      this.gitlabGroupHooks[hookName] = new GitLabGroupHook(hookName, { ...common, group }, { parent: this });
    }
  }

  private addBitbucketServer(
    prefix: string,
    args: SourcegraphWebhooksArgs,
    c: BitbucketServerConnectionArgs,
    key: string,
    i: number,
  ): void {
    const events = selectEvents("bitbucketServer", c, `bitbucketServer[${i}]`);
    const url = bitbucketServerUrl(c, i);
    const { deliveryUrl, secret } = this.addReceiver(
      prefix,
      args,
      "bitbucketServer",
      key,
      "BITBUCKETSERVER",
      url,
      c,
    );
    const base = `${prefix}-bitbucketServer-${key}`;
    const bitbucketServer = {
      url,
      token: c.token === undefined ? undefined : pulumi.secret(c.token),
      username: c.username,
      password: c.password === undefined ? undefined : pulumi.secret(c.password),
    };
    for (const scope of c.scopes ?? ["global"]) {
      // `:` and `/` in a scope would read as URN separators in the resource name.
      const hookName = `${base}-${scope.replace(/[:/]/g, "-")}`;
      this.bitbucketServerWebhooks[hookName] = new BitbucketServerWebhook(
        hookName,
        { bitbucketServer, scope, url: deliveryUrl, secret, events },
        { parent: this },
      );
    }
  }

  private addBitbucketCloud(
    prefix: string,
    args: SourcegraphWebhooksArgs,
    c: BitbucketCloudConnectionArgs,
    key: string,
    i: number,
  ): void {
    const where = `bitbucketCloud[${i}]`;
    const events = selectEvents("bitbucketCloud", c, where);
    const url = trimSlashes(c.url ?? "https://bitbucket.org");
    const { deliveryUrl, secret } = this.addReceiver(
      prefix,
      args,
      "bitbucketCloud",
      key,
      "BITBUCKETCLOUD",
      url,
      c,
    );
    const base = `${prefix}-bitbucketCloud-${key}`;
    const bitbucketCloud = {
      apiUrl: c.apiUrl,
      token: c.token === undefined ? undefined : pulumi.secret(c.token),
      email: c.email,
      apiToken: c.apiToken === undefined ? undefined : pulumi.secret(c.apiToken),
    };
    const common = { bitbucketCloud, url: deliveryUrl, secret, events, description: c.description };
    for (const workspace of c.workspaces ?? []) {
      const hookName = `${base}-workspace-${workspace}`;
      this.bitbucketCloudWebhooks[hookName] = new BitbucketCloudWebhook(
        hookName,
        { ...common, workspace },
        { parent: this },
      );
    }
    for (const repo of c.repositories ?? []) {
      const { owner, name } = splitRepository(repo, `${where}.repositories`);
      const hookName = `${base}-repo-${owner}/${name}`;
      this.bitbucketCloudWebhooks[hookName] = new BitbucketCloudWebhook(
        hookName,
        { ...common, workspace: owner, repository: name },
        { parent: this },
      );
    }
  }
}

function gitlabUrl(c: GitLabConnectionArgs): string {
  return trimSlashes(c.url ?? process.env.GITLAB_URL ?? "https://gitlab.com");
}

function bitbucketServerUrl(c: BitbucketServerConnectionArgs, i: number): string {
  const url = c.url ?? process.env.BITBUCKET_SERVER_URL;
  if (!url) {
    throw new Error(
      `bitbucketServer[${i}].url: required: the Bitbucket Server URL such as https://bitbucket.example.com (or set BITBUCKET_SERVER_URL)`,
    );
  }
  return trimSlashes(url);
}

/** @pulumi/github's `baseUrl`: unset for github.com, `<url>/api/v3/` for GitHub Enterprise Server. */
export function githubApiBase(url: string): string | undefined {
  const u = new URL(url);
  if (u.host === "github.com" || u.host === "www.github.com") return undefined;
  return `${trimSlashes(url)}/api/v3/`;
}

/** Each connection's name in resource names, per code host, in declaration order. */
export function connectionKeys(
  args: SourcegraphWebhooksArgs,
): Record<"github" | "gitlab" | "bitbucketServer" | "bitbucketCloud", string[]> {
  return {
    github: (args.github ?? []).map((c) => connectionKey(c.name, c.url ?? GITHUB_COM)),
    gitlab: (args.gitlab ?? []).map((c) => connectionKey(c.name, gitlabUrl(c))),
    bitbucketServer: (args.bitbucketServer ?? []).map((c, i) =>
      connectionKey(c.name, bitbucketServerUrl(c, i)),
    ),
    bitbucketCloud: (args.bitbucketCloud ?? []).map((c) =>
      connectionKey(c.name, c.url ?? "https://bitbucket.org"),
    ),
  };
}

/**
 * Every check that needs no network, before any resource is registered. Throws the first problem
 * with the field's path (`gitlab[0].projects`) and what is valid.
 */
export function validateDeclaration(args: SourcegraphWebhooksArgs): void {
  const count =
    (args.github?.length ?? 0) +
    (args.gitlab?.length ?? 0) +
    (args.bitbucketServer?.length ?? 0) +
    (args.bitbucketCloud?.length ?? 0);
  if (count === 0) {
    throw new Error(
      "SourcegraphWebhooks: declares no code host connection; set at least one of github, gitlab, bitbucketServer, bitbucketCloud",
    );
  }
  (args.github ?? []).forEach((c, i) => {
    const where = `github[${i}]`;
    if (c.url !== undefined) parseHttpUrl(c.url, `${where}.url`);
    selectEvents("github", c, where);
    assertSomeTargets(where, {
      organizations: c.organizations?.length ?? 0,
      repositories: c.repositories?.length ?? 0,
    });
    assertNoDuplicates(c.organizations ?? [], `${where}.organizations`);
    assertNoDuplicates(c.repositories ?? [], `${where}.repositories`);
    for (const r of c.repositories ?? []) splitRepository(r, `${where}.repositories`);
  });
  (args.gitlab ?? []).forEach((c, i) => {
    const where = `gitlab[${i}]`;
    if (c.url !== undefined) parseHttpUrl(c.url, `${where}.url`);
    selectEvents("gitlab", c, where);
    assertSomeTargets(where, { projects: c.projects?.length ?? 0, groups: c.groups?.length ?? 0 });
    assertNoDuplicates(c.projects ?? [], `${where}.projects`);
    assertNoDuplicates(c.groups ?? [], `${where}.groups`);
  });
  (args.bitbucketServer ?? []).forEach((c, i) => {
    const where = `bitbucketServer[${i}]`;
    parseHttpUrl(bitbucketServerUrl(c, i), `${where}.url`);
    selectEvents("bitbucketServer", c, where);
    if (c.token !== undefined && (c.username !== undefined || c.password !== undefined)) {
      throw new Error(`${where}: set either "token" or "username" + "password", not both`);
    }
    if ((c.username === undefined) !== (c.password === undefined)) {
      throw new Error(`${where}: "username" and "password" go together; set both or neither`);
    }
    if (c.scopes !== undefined && c.scopes.length === 0) {
      throw new Error(`${where}.scopes: the list is empty; omit it for ["global"]`);
    }
    assertNoDuplicates(c.scopes ?? [], `${where}.scopes`);
    for (const s of c.scopes ?? []) validateBitbucketServerScope(s, `${where}.scopes`);
  });
  if (args.relay) validateRelayUrl(args.relay.publicUrl);
  (args.bitbucketCloud ?? []).forEach((c, i) => {
    const where = `bitbucketCloud[${i}]`;
    if (c.url !== undefined) parseHttpUrl(c.url, `${where}.url`);
    if (c.apiUrl !== undefined) parseHttpUrl(c.apiUrl, `${where}.apiUrl`);
    selectEvents("bitbucketCloud", c, where);
    if (c.token !== undefined && (c.email !== undefined || c.apiToken !== undefined)) {
      throw new Error(`${where}: set either "token" or "email" + "apiToken", not both`);
    }
    if ((c.email === undefined) !== (c.apiToken === undefined)) {
      throw new Error(`${where}: "email" and "apiToken" go together; set both or neither`);
    }
    assertSomeTargets(where, {
      workspaces: c.workspaces?.length ?? 0,
      repositories: c.repositories?.length ?? 0,
    });
    assertNoDuplicates(c.workspaces ?? [], `${where}.workspaces`);
    assertNoDuplicates(c.repositories ?? [], `${where}.repositories`);
    for (const r of c.repositories ?? []) splitRepository(r, `${where}.repositories`);
  });
  for (const [host, list] of Object.entries(connectionKeys(args))) assertUniqueKeys(host, list);
}
