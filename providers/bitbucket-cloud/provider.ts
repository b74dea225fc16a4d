// The dynamic provider of BitbucketCloudWebhook: check, diff, create, read, update, delete.
import type * as pulumi from "@pulumi/pulumi";
import { AmbiguousRequestError } from "../http";
import { createOnceMore, credentialCandidates, withCredentials } from "../shared";
import { check } from "./check";
import { HookClient, type HookPayload, type HookScope, isRefused, type RemoteHook } from "./client";
import {
  type Connection,
  CREDENTIALS_HINT,
  type Credential,
  credentialFromConnection,
  credentialFromEnv,
  type Inputs,
  type Outputs,
  SERVICE,
  sameCredential,
  secretsOf,
} from "./config";
import { diff, hookChanges } from "./diff";
import { outputsFrom, upgradeOutputs } from "./outputs";

function scopeOf(s: { apiUrl: string; workspace: string; repository?: string }): HookScope {
  return { apiUrl: s.apiUrl, workspace: s.workspace, ...(s.repository ? { repository: s.repository } : {}) };
}

function targetOf(scope: HookScope): string {
  return scope.repository
    ? `repository ${scope.workspace}/${scope.repository}`
    : `workspace ${scope.workspace}`;
}

/**
 * Runs `fn` with a client for the given credential (the stored or declared one first, then the
 * environment's when that one is refused: rotation must not break a destroy).
 */
function withClient<T>(
  scope: HookScope,
  connection: Connection | undefined,
  extraSecrets: ReadonlyArray<string | undefined>,
  fn: (client: HookClient) => Promise<T>,
): Promise<T> {
  const candidates = credentialCandidates<Credential>(
    [credentialFromConnection(connection), credentialFromEnv()],
    sameCredential,
  );
  const secrets = secretsOf(connection, ...extraSecrets);
  return withCredentials(
    {
      candidates,
      refused: isRefused,
      missing: () =>
        new Error(
          `no ${SERVICE} credentials to manage the hook of ${targetOf(scope)} at ${scope.apiUrl}: ${CREDENTIALS_HINT}`,
        ),
    },
    (credential) => fn(new HookClient(scope, credential, secrets)),
  );
}

function payloadOf(inputs: Inputs, secret: string | null | undefined): HookPayload {
  return {
    url: inputs.url,
    description: inputs.description,
    active: true,
    events: [...inputs.events],
    ...(secret !== undefined ? { secret } : {}),
  };
}

/**
 * Adopts a hook with the same target URL (so a retried or half-failed create makes no duplicate),
 * bringing it to the declared settings; the secret is re-sent (or removed) because whatever it
 * holds is unknown.
 */
async function adopt(client: HookClient, inputs: Inputs): Promise<RemoteHook | undefined> {
  const existing = (await client.list()).find((h) => h.url === inputs.url);
  if (!existing) return undefined;
  return client.update(existing.uuid, payloadOf(inputs, inputs.secret ?? null));
}

async function createHook(client: HookClient, inputs: Inputs): Promise<RemoteHook> {
  const adopted = await adopt(client, inputs);
  if (adopted) return adopted;
  try {
    return await client.create(payloadOf(inputs, inputs.secret));
  } catch (err) {
    if (!(err instanceof AmbiguousRequestError)) throw err;
    // The POST may have been processed: look before trying again, never blindly re-POST.
    return (
      (await adopt(client, inputs)) ??
      createOnceMore(
        () => client.create(payloadOf(inputs, inputs.secret)),
        "the hook with the same receiver URL",
      )
    );
  }
}

export const provider: Required<
  Pick<pulumi.dynamic.ResourceProvider, "check" | "diff" | "create" | "read" | "update" | "delete">
> = {
  async check(_olds, news) {
    return check(news);
  },

  async diff(_id, olds, news) {
    return diff(olds, news as Inputs);
  },

  async create(raw) {
    const inputs = raw as Inputs;
    const scope = scopeOf(inputs);
    const remote = await withClient(scope, inputs.bitbucketCloud, [inputs.secret], (client) =>
      createHook(client, inputs),
    );
    return { id: remote.uuid, outs: outputsFrom(inputs, remote, inputs.secret) };
  },

  async read(id, props) {
    const olds = upgradeOutputs(props);
    const uuid = olds.uuid || id;
    const remote = await withClient(scopeOf(olds), olds.bitbucketCloud, [olds.secret], (client) =>
      client.get(uuid),
    );
    // Gone (the hook, or its repository or workspace): refresh drops it and the next up recreates it.
    if (!remote) return {};
    return { id: remote.uuid, props: outputsFrom(olds, remote, olds.secret) };
  },

  async update(id, oldProps, raw) {
    const olds = upgradeOutputs(oldProps);
    const news = raw as Inputs;
    const uuid = olds.uuid || id;
    // The stored endpoint and scope, never re-read from the environment; a changed one is a replacement.
    const where = { ...scopeOf(olds), bitbucketCloud: news.bitbucketCloud };
    const changed = hookChanges(olds, news);
    if (changed.length === 0) {
      // Only credentials (or the provider code) changed: refresh what is stored, call nothing.
      const kept: Outputs = {
        ...olds,
        ...(news.bitbucketCloud ? { bitbucketCloud: news.bitbucketCloud } : {}),
      };
      if (!news.bitbucketCloud) delete kept.bitbucketCloud;
      return { outs: kept };
    }
    // Leaving `secret` out keeps Bitbucket's; send it only when it changed, or null to remove one.
    const secret = !changed.includes("secret") ? undefined : (news.secret ?? null);
    const remote = await withClient(
      scopeOf(olds),
      news.bitbucketCloud ?? olds.bitbucketCloud,
      [news.secret, olds.secret],
      (client) => client.update(uuid, payloadOf(news, secret)),
    );
    if (!remote) {
      throw new Error(
        `${SERVICE} hook ${uuid} of ${targetOf(scopeOf(olds))} no longer exists; run "pulumi refresh" so that the next "pulumi up" creates it again`,
      );
    }
    return { outs: outputsFrom(where, remote, news.secret) };
  },

  async delete(id, props) {
    const olds = upgradeOutputs(props);
    // A hook already gone (404) is success.
    await withClient(scopeOf(olds), olds.bitbucketCloud, [olds.secret], (client) =>
      client.delete(olds.uuid || id),
    );
  },
};
