import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { GITHUB_COM_API } from "../../providers/github/types";
import type { CodeHostKind } from "../../providers/shared/code-host-kind";
import { formatReceiversFile, type RelayReceiver } from "../relay/receivers-file";
import { BitbucketCloudWebhook } from "../resources/bitbucket-cloud-webhook";
import { BitbucketServerWebhook } from "../resources/bitbucket-server-webhook";
import { GitLabGroupHook, GitLabProjectHook } from "../resources/gitlab-hooks";
import { SourcegraphReceiver } from "../resources/sourcegraph-receiver";
import type { SourcegraphConnectionArgs, SourcegraphWebhooksArgs } from "./args";
import {
  type BitbucketCloudConnection,
  type BitbucketServerConnection,
  type Connection,
  type GitHubConnection,
  type GitLabConnection,
  resolveDeclaration,
} from "./connections";
import { githubApiUrl, type HookSummary, summarizeHooks } from "./hook-summaries";
import { githubProviderResourceName, hookResourceName, receiverResourceName } from "./resource-names";
import { warnShortSecrets } from "./short-secrets";
import { relayHookUrl } from "./validation";

export type { CodeHostKind } from "../../providers/shared/code-host-kind";
export type { RelayReceiver } from "../relay/receivers-file";
export type * from "./args";
export { connectionKeys, declarationProblems, resolveDeclaration } from "./connections";
export { DeclarationError, InvalidDeclarationError } from "./declaration-error";
export type { HookKind, HookSummary } from "./hook-summaries";

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

/**
 * Sourcegraph incoming webhooks as one declaration: for each code host connection one
 * `SourcegraphReceiver`, and every webhook of that connection delivering to it with its secret.
 * The declaration is resolved once into one object per connection (`resolveDeclaration`, which
 * checks it whole and throws an `InvalidDeclarationError` listing every problem); the constructor
 * then only creates resources from those objects.
 */
export class SourcegraphWebhooks extends pulumi.ComponentResource {
  /** Every receiver: connection, kind, code host URL, UUID, receiver URL and delivery URL. */
  public readonly receivers: pulumi.Output<ReceiverSummary[]>;
  /**
   * Every hook: connection, code host, kind, target, the code host's hook ID, its receiver's UUID,
   * where it delivers and the code host's API base. Not a secret, and holds none.
   */
  public readonly hooks: pulumi.Output<HookSummary[]>;
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

  constructor(name: string, args: SourcegraphWebhooksArgs, opts?: pulumi.ComponentResourceOptions) {
    // Resolved (and so checked) before registering anything: a wrong declaration leaves no trace in the plan.
    const declaration = resolveDeclaration(args);
    super("sourcegraph-webhooks:index:SourcegraphWebhooks", name, {}, opts);
    warnShortSecrets(args, this);

    const summaries: pulumi.Output<ReceiverSummary>[] = [];
    const hooks: pulumi.Output<HookSummary>[] = [];
    const relayEntries: pulumi.Output<RelayReceiver>[] = [];
    for (const connection of declaration.connections) {
      const receiver = createReceiver(this, name, connection, args.sourcegraph ?? {}, declaration.relayUrl);
      this.receiverResources[connection.connection] = receiver.resource;
      summaries.push(receiver.summary);
      relayEntries.push(receiver.relayEntry);
      const ids = this.addHooks(name, connection, receiver.delivery);
      hooks.push(...summarizeHooks(connection, ids, receiver.resource.uuid, receiver.delivery.url));
    }

    this.receivers = pulumi.all(summaries);
    this.hooks = pulumi.all(hooks);
    this.relayReceiversFile = declaration.relayUrl
      ? pulumi.secret(pulumi.all(relayEntries).apply(formatReceiversFile))
      : pulumi.output(undefined);
    this.registerOutputs({
      receivers: this.receivers,
      hooks: this.hooks,
      relayReceiversFile: this.relayReceiversFile,
    });
  }

  /**
   * Creates a connection's hooks, files them under the component's record of their kind, and
   * returns each hook's ID on its code host keyed by the end of its resource name.
   */
  private addHooks(
    component: string,
    connection: Connection,
    delivery: Delivery,
  ): Record<string, pulumi.Output<string>> {
    const base = receiverResourceName(component, connection);
    // The resource ID is the code host's hook ID: GitHub's and GitLab's number, Bitbucket Cloud's
    // `{uuid}`. IDs are never secret.
    const byId = (resources: Record<string, pulumi.CustomResource>) => hookIds(base, resources, (r) => r.id);
    switch (connection.host) {
      case "github": {
        const hooks = createGitHubHooks(this, component, connection, delivery);
        Object.assign(this.githubOrganizationWebhooks, hooks.organization);
        Object.assign(this.githubRepositoryWebhooks, hooks.repository);
        return { ...byId(hooks.organization), ...byId(hooks.repository) };
      }
      case "gitlab": {
        const hooks = createGitLabHooks(this, component, connection, delivery);
        Object.assign(this.gitlabProjectHooks, hooks.project);
        Object.assign(this.gitlabGroupHooks, hooks.group);
        return { ...byId(hooks.project), ...byId(hooks.group) };
      }
      case "bitbucketServer": {
        const hooks = createBitbucketServerHooks(this, component, connection, delivery);
        Object.assign(this.bitbucketServerWebhooks, hooks);
        // The plugin's webhooks are found by name (its upsert key), not by their numeric id.
        return hookIds(base, hooks, (r) => r.webhookName);
      }
      case "bitbucketCloud": {
        const hooks = createBitbucketCloudHooks(this, component, connection, delivery);
        Object.assign(this.bitbucketCloudWebhooks, hooks);
        return byId(hooks);
      }
    }
  }
}

/** Each resource's hook ID, keyed by its name without the connection's `base-` prefix. */
function hookIds<R>(
  base: string,
  resources: Record<string, R>,
  id: (resource: R) => pulumi.Output<string>,
): Record<string, pulumi.Output<string>> {
  return Object.fromEntries(
    Object.entries(resources).map(([name, r]) => [name.slice(base.length + 1), id(r)]),
  );
}

/** Where a connection's hooks deliver, and the secret they share with its receiver (none: undefined). */
interface Delivery {
  readonly url: pulumi.Output<string>;
  readonly secret: pulumi.Output<string> | undefined;
}

/** A value stored as a secret whether or not the caller marked it so; undefined stays undefined. */
function secretInput(value: pulumi.Input<string> | undefined): pulumi.Output<string> | undefined {
  return value === undefined ? undefined : pulumi.secret(value);
}

/** The receiver of one connection of the component `component`, with what the component's outputs say of it. */
function createReceiver(
  parent: pulumi.Resource,
  component: string,
  connection: Connection,
  sourcegraph: SourcegraphConnectionArgs,
  relayUrl: string | undefined,
): {
  resource: SourcegraphReceiver;
  delivery: Delivery;
  summary: pulumi.Output<ReceiverSummary>;
  relayEntry: pulumi.Output<RelayReceiver>;
} {
  const { kind, url: codeHostUrn } = connection;
  const resource = new SourcegraphReceiver(
    receiverResourceName(component, connection),
    {
      codeHostKind: kind,
      codeHostUrn,
      webhookName: connection.receiverName,
      secret: connection.secret === false ? false : secretInput(connection.secret),
      adopt: connection.adopt,
      sourcegraph: { endpoint: sourcegraph.endpoint, accessToken: secretInput(sourcegraph.accessToken) },
    },
    { parent },
  );
  const deliveryUrl = relayUrl ? resource.uuid.apply((uuid) => relayHookUrl(relayUrl, uuid)) : resource.url;
  const secret = connection.secret === false ? undefined : resource.secret;
  return {
    resource,
    delivery: { url: deliveryUrl, secret },
    summary: pulumi.all([resource.uuid, resource.url, deliveryUrl]).apply(([uuid, url, delivery]) => ({
      connection: connection.connection,
      codeHostKind: kind,
      codeHostUrn,
      uuid,
      url,
      deliveryUrl: delivery,
    })),
    relayEntry: pulumi
      .all([resource.uuid, secret ?? pulumi.output(undefined)])
      .apply(([uuid, s]) => ({ uuid, codeHostKind: kind, secrets: s ? [s] : [] })),
  };
}

function createGitHubHooks(
  parent: pulumi.Resource,
  component: string,
  connection: GitHubConnection,
  delivery: Delivery,
): {
  organization: Record<string, github.OrganizationWebhook>;
  repository: Record<string, github.RepositoryWebhook>;
} {
  const providers = new Map<string, pulumi.ProviderResource>(Object.entries(connection.providers));
  const providerFor = (owner: string): pulumi.ProviderResource => {
    let provider = providers.get(owner);
    if (!provider) {
      provider = new github.Provider(
        githubProviderResourceName(component, connection, owner),
        { owner, baseUrl: githubApiBase(connection.url), token: secretInput(connection.token) },
        { parent },
      );
      providers.set(owner, provider);
    }
    return provider;
  };
  // GitHub's default content type is form; Sourcegraph's incoming-webhooks documentation asks for
  // application/json.
  const configuration = {
    url: delivery.url,
    contentType: "json",
    insecureSsl: false,
    secret: delivery.secret,
  };
  const events = connection.events;
  const out = {
    organization: {} as Record<string, github.OrganizationWebhook>,
    repository: {} as Record<string, github.RepositoryWebhook>,
  };
  for (const hook of connection.hooks) {
    const name = hookResourceName(component, connection, hook.name);
    const opts = { parent, provider: providerFor(hook.owner) };
    if (hook.kind === "organization") {
      out.organization[name] = new github.OrganizationWebhook(
        name,
        { events, active: true, configuration },
        opts,
      );
    } else {
      // The repository argument is the name only: the owner comes from the provider
      // (an `owner/name` value makes @pulumi/github call /repos/<owner>/<owner>/<name>, pulumi-github#530).
      out.repository[name] = new github.RepositoryWebhook(
        name,
        { repository: hook.repository!, events, active: true, configuration },
        opts,
      );
    }
  }
  return out;
}

function createGitLabHooks(
  parent: pulumi.Resource,
  component: string,
  connection: GitLabConnection,
  delivery: Delivery,
): { project: Record<string, GitLabProjectHook>; group: Record<string, GitLabGroupHook> } {
  const common = {
    gitlab: { url: connection.url, token: secretInput(connection.token) },
    url: delivery.url,
    secret: delivery.secret,
    events: connection.events,
    enableSslVerification: connection.enableSslVerification,
  };
  const out = {
    project: {} as Record<string, GitLabProjectHook>,
    group: {} as Record<string, GitLabGroupHook>,
  };
  for (const hook of connection.hooks) {
    const name = hookResourceName(component, connection, hook.name);
    if (hook.kind === "project") {
      out.project[name] = new GitLabProjectHook(name, { ...common, project: hook.target }, { parent });
    } else {
      out.group[name] = new GitLabGroupHook(name, { ...common, group: hook.target }, { parent });
    }
  }
  return out;
}

function createBitbucketServerHooks(
  parent: pulumi.Resource,
  component: string,
  connection: BitbucketServerConnection,
  delivery: Delivery,
): Record<string, BitbucketServerWebhook> {
  const bitbucketServer = {
    url: connection.url,
    token: secretInput(connection.token),
    username: connection.username,
    password: secretInput(connection.password),
  };
  const out: Record<string, BitbucketServerWebhook> = {};
  for (const hook of connection.hooks) {
    const name = hookResourceName(component, connection, hook.name);
    out[name] = new BitbucketServerWebhook(
      name,
      {
        bitbucketServer,
        scope: hook.scope,
        url: delivery.url,
        secret: delivery.secret,
        events: connection.events,
      },
      { parent },
    );
  }
  return out;
}

function createBitbucketCloudHooks(
  parent: pulumi.Resource,
  component: string,
  connection: BitbucketCloudConnection,
  delivery: Delivery,
): Record<string, BitbucketCloudWebhook> {
  const common = {
    bitbucketCloud: {
      apiUrl: connection.apiUrl,
      token: secretInput(connection.token),
      email: connection.email,
      apiToken: secretInput(connection.apiToken),
    },
    url: delivery.url,
    secret: delivery.secret,
    events: connection.events,
    description: connection.description,
  };
  const out: Record<string, BitbucketCloudWebhook> = {};
  for (const hook of connection.hooks) {
    const name = hookResourceName(component, connection, hook.name);
    out[name] = new BitbucketCloudWebhook(
      name,
      { ...common, workspace: hook.workspace, ...(hook.repository ? { repository: hook.repository } : {}) },
      { parent },
    );
  }
  return out;
}

/** @pulumi/github's `baseUrl`: unset for github.com, `<url>/api/v3/` for GitHub Enterprise Server. */
export function githubApiBase(url: string): string | undefined {
  const api = githubApiUrl(url);
  return api === GITHUB_COM_API ? undefined : `${api}/`;
}

/**
 * Every check that needs no network, before any resource is registered. Throws an
 * InvalidDeclarationError listing every problem, each a DeclarationError with the field's path
 * (`gitlab[0].projects`) and what is valid.
 */
export function validateDeclaration(args: SourcegraphWebhooksArgs): void {
  resolveDeclaration(args);
}
