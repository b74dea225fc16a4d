// The dynamic provider of BitbucketServerWebhook. The serialized stub in the state only forwards
// here (Pulumi freezes the serialized code into the state and runs it on destroy: pulumi/pulumi#6238),
// so this module may import freely and is always the installed version.
import { sameEvents } from "../events";
import { type DynamicProvider, dynamicProvider } from "../shared";
import { check } from "./check";
import { deleteWebhook, listWebhooks, type Session, type UpsertBody, upsertWebhook } from "./client";
import { withClient } from "./credentials";
import { diff } from "./diff";
import { BitbucketServerError } from "./errors";
import { outputsFor, outputsFromRemote, upgradeOutputs } from "./state";
import type { Inputs, PluginWebhook } from "./types";

function upsertBody(i: Inputs): UpsertBody {
  return { name: i.webhookName, scope: i.scope, events: i.events, endpoint: i.url, secret: i.secret };
}

/** True when the hook already has the declared settings, so the upsert (and its ping) can be skipped. */
function alreadyAsDeclared(hook: PluginWebhook, i: Inputs, knownRemoteScope?: string): boolean {
  const scopeSame =
    hook.scope === i.scope || (knownRemoteScope !== undefined && hook.scope === knownRemoteScope);
  return (
    scopeSame && hook.endpoint === i.url && hook.secret === i.secret && sameEvents(hook.events, i.events)
  );
}

/** POST (an upsert by name), then GET to learn the id that the 204 does not carry. */
async function upsertAndReadBack(s: Session, i: Inputs): Promise<PluginWebhook> {
  await upsertWebhook(s, upsertBody(i));
  const hook = (await listWebhooks(s)).find((w) => w.name === i.webhookName);
  if (!hook) {
    throw new BitbucketServerError(
      `the Bitbucket Server at ${s.instanceUrl} accepted webhook "${i.webhookName}" (204) but does not list it; check the plugin's webhook page and run \`pulumi up\` again`,
      "notListed",
    );
  }
  return hook;
}

export const provider: DynamicProvider = dynamicProvider({
  check,
  diff,

  async create(inputs) {
    const i = inputs as Inputs;
    return withClient(
      { instanceUrl: i.instanceUrl, connection: i.bitbucketServer, secrets: [i.secret] },
      async (s) => {
        // Adopt: a hook that already has this name (an earlier run that failed half-way, or one made
        // by hand) is the same object to the plugin; the upsert brings it to the declared settings.
        // The upsert is keyed by name, so repeating it after a lost answer makes no duplicate.
        const existing = (await listWebhooks(s)).find((w) => w.name === i.webhookName);
        const hook = existing && alreadyAsDeclared(existing, i) ? existing : await upsertAndReadBack(s, i);
        return { id: String(hook.id), outs: outputsFor(i, hook) };
      },
    );
  },

  async read(id, props = {}) {
    const stored = upgradeOutputs(props, id);
    const target = {
      instanceUrl: stored.instanceUrl,
      connection: stored.bitbucketServer,
      secrets: [stored.secret],
    };
    return withClient(target, async (s) => {
      const all = await listWebhooks(s);
      // The name is the plugin's key; the id finds a hook renamed in the plugin's UI, which then
      // shows as a webhookName change (a replacement that deletes it) instead of being lost.
      const hook =
        all.find((w) => w.name === stored.webhookName) ?? all.find((w) => String(w.id) === id && id !== "");
      if (!hook) return {};
      return { id: String(hook.id), props: outputsFromRemote(stored, hook) };
    });
  },

  async update(id, olds, news) {
    const o = upgradeOutputs(olds, id);
    // The stored instance, never one re-read from the environment: a webhook ID sent to another
    // instance would change someone else's webhook.
    const i: Inputs = { ...(news as Inputs), instanceUrl: o.instanceUrl };
    const remoteSame =
      o.scope === i.scope && o.url === i.url && o.secret === i.secret && sameEvents(o.events, i.events);
    if (remoteSame) {
      // Only a credential or the provider code changed: nothing to send.
      return { outs: outputsFor(i, { id: o.webhookId, scope: o.remoteScope }) };
    }
    const target = {
      instanceUrl: i.instanceUrl,
      connection: i.bitbucketServer,
      secrets: [i.secret, o.secret],
    };
    return withClient(target, async (s) => ({ outs: outputsFor(i, await upsertAndReadBack(s, i)) }));
  },

  async delete(id, props) {
    const stored = upgradeOutputs(props, id);
    const target = {
      instanceUrl: stored.instanceUrl,
      connection: stored.bitbucketServer,
      secrets: [stored.secret],
    };
    // The plugin answers 204 whether or not the hook exists: one already gone is success.
    await withClient(target, (s) => deleteWebhook(s, stored.webhookName));
  },
});
