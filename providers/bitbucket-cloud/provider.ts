// The dynamic provider of BitbucketCloudWebhook (type pulumi-nodejs:dynamic/bitbucketcloud:Webhook).
// The resource class hands Pulumi a stub that forwards here (src/dynamic/forwarding-provider.ts).
import { createOrAdopt, type DynamicProvider, dynamicProvider } from "../shared";
import { check } from "./check";
import { describeTarget, type HookClient, type HookPayload, hookTarget, type RemoteHook } from "./client";
import { withClient } from "./credentials";
import { diff, hookChanges } from "./diff";
import { BitbucketCloudError } from "./errors";
import { outputsFrom, upgradeOutputs } from "./state";
import { type Inputs, type Outputs, SERVICE } from "./types";

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
 * A hook with the same target URL, brought to the declared settings (so a retried or half-failed
 * create makes no duplicate); the secret is re-sent (or removed) because whatever it holds is
 * unknown. Undefined when there is none, or it went away before the update.
 */
async function adoptByUrl(client: HookClient, inputs: Inputs): Promise<RemoteHook | undefined> {
  const existing = (await client.list()).find((h) => h.url === inputs.url);
  return existing && client.update(existing.uuid, payloadOf(inputs, inputs.secret ?? null));
}

function createHook(client: HookClient, inputs: Inputs): Promise<RemoteHook> {
  return createOrAdopt({
    // Finding and adopting are one step here: the update also tells whether the hook still exists.
    find: () => adoptByUrl(client, inputs),
    adopt: async (adopted) => adopted,
    create: () => client.create(payloadOf(inputs, inputs.secret)),
    identity: "the hook with the same receiver URL",
  });
}

function gone(uuid: string, where: Inputs | Outputs): BitbucketCloudError {
  return new BitbucketCloudError(
    `${SERVICE} hook ${uuid} of ${describeTarget(where)} no longer exists; run "pulumi refresh" so that the next "pulumi up" creates it again`,
    "gone",
  );
}

export const provider: DynamicProvider = dynamicProvider({
  check,
  diff,

  async create(raw) {
    const inputs = raw as Inputs;
    const target = { ...hookTarget(inputs), connection: inputs.bitbucketCloud, secrets: [inputs.secret] };
    const remote = await withClient(target, (client) => createHook(client, inputs));
    return { id: remote.uuid, outs: outputsFrom(inputs, remote, inputs.secret) };
  },

  async read(id, props = {}) {
    const olds = upgradeOutputs(props, id);
    const uuid = olds.uuid || id;
    const target = { ...hookTarget(olds), connection: olds.bitbucketCloud, secrets: [olds.secret] };
    const remote = await withClient(target, (client) => client.get(uuid));
    // Gone (the hook, or its repository or workspace): refresh drops it and the next up recreates it.
    if (!remote) return {};
    return { id: remote.uuid, props: outputsFrom(olds, remote, olds.secret) };
  },

  async update(id, oldProps, raw) {
    const olds = upgradeOutputs(oldProps, id);
    const news = raw as Inputs;
    const uuid = olds.uuid || id;
    // The stored endpoint and scope, never re-read from the environment; a changed one is a replacement.
    const where = { ...hookTarget(olds), bitbucketCloud: news.bitbucketCloud };
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
    const target = {
      ...hookTarget(olds),
      connection: news.bitbucketCloud ?? olds.bitbucketCloud,
      secrets: [news.secret, olds.secret],
    };
    const remote = await withClient(target, (client) => client.update(uuid, payloadOf(news, secret)));
    if (!remote) throw gone(uuid, olds);
    return { outs: outputsFrom(where, remote, news.secret) };
  },

  async delete(id, props) {
    const olds = upgradeOutputs(props, id);
    const target = { ...hookTarget(olds), connection: olds.bitbucketCloud, secrets: [olds.secret] };
    // A hook already gone (404) is success.
    await withClient(target, (client) => client.delete(olds.uuid || id));
  },
});
