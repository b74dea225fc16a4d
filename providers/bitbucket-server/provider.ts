// The dynamic provider of BitbucketServerWebhook. The serialized stub in the state only forwards
// here (Pulumi freezes the serialized code into the state and runs it on destroy: pulumi/pulumi#6238),
// so this module may import freely and is always the installed version.
import type * as pulumi from "@pulumi/pulumi";
import { sameEvents } from "../events";
import { credentialCandidates, withCredentials } from "../shared";
import { checkInputs } from "./check";
import { deleteWebhook, listWebhooks, type Session, type UpsertBody, upsertWebhook } from "./client";
import { credentialFromConnection, credentialFromEnv, sameCredential } from "./credentials";
import { diffWebhook } from "./diff";
import { missingCredentialsError, NotSystemAdminError } from "./errors";
import { outputsFor, outputsFromRemote, upgradeOutputs } from "./outputs";
import type { BitbucketServerConnection, PluginWebhook, WebhookInputs, WebhookOutputs } from "./types";

/**
 * Runs `fn` with the credential given as input (stored with the resource), then, if the plugin
 * refuses it, with the environment's: a rotated token must not break a later destroy.
 */
async function withSession<T>(
  instanceUrl: string,
  conn: BitbucketServerConnection | undefined,
  secrets: ReadonlyArray<string | undefined>,
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  const candidates = credentialCandidates(
    [credentialFromConnection(conn), credentialFromEnv()],
    sameCredential,
  );
  const tried: string[] = [];
  try {
    return await withCredentials(
      {
        candidates,
        refused: (err) => err instanceof NotSystemAdminError,
        missing: () => missingCredentialsError(instanceUrl),
      },
      (credential) => {
        tried.push(credential.source);
        return fn({ instanceUrl, credential, secrets: secrets.filter((x): x is string => !!x) });
      },
    );
  } catch (err) {
    if (err instanceof NotSystemAdminError) throw new NotSystemAdminError(instanceUrl, tried);
    throw err;
  }
}

function upsertBody(i: WebhookInputs): UpsertBody {
  return { name: i.webhookName, scope: i.scope, events: i.events, endpoint: i.url, secret: i.secret };
}

/** True when the hook already has the declared settings, so the upsert (and its ping) can be skipped. */
function alreadyAsDeclared(hook: PluginWebhook, i: WebhookInputs, knownRemoteScope?: string): boolean {
  const scopeSame =
    hook.scope === i.scope || (knownRemoteScope !== undefined && hook.scope === knownRemoteScope);
  return (
    scopeSame && hook.endpoint === i.url && hook.secret === i.secret && sameEvents(hook.events, i.events)
  );
}

/** POST (an upsert by name), then GET to learn the id that the 204 does not carry. */
async function upsertAndReadBack(s: Session, i: WebhookInputs): Promise<PluginWebhook> {
  await upsertWebhook(s, upsertBody(i));
  const hook = (await listWebhooks(s)).find((w) => w.name === i.webhookName);
  if (!hook) {
    throw new Error(
      `the Bitbucket Server at ${s.instanceUrl} accepted webhook "${i.webhookName}" (204) but does not list it; check the plugin's webhook page and run \`pulumi up\` again`,
    );
  }
  return hook;
}

export const provider: Required<
  Pick<pulumi.dynamic.ResourceProvider, "check" | "diff" | "create" | "read" | "update" | "delete">
> = {
  async check(_olds, news) {
    return checkInputs(news as Record<string, unknown>);
  },

  async diff(_id, olds, news) {
    return diffWebhook(olds as Record<string, unknown>, news as Record<string, unknown>);
  },

  async create(inputs) {
    const i = inputs as WebhookInputs;
    return withSession(i.instanceUrl, i.bitbucketServer, [i.secret], async (s) => {
      // Adopt: a hook that already has this name (an earlier run that failed half-way, or one made
      // by hand) is the same object to the plugin; the upsert brings it to the declared settings.
      const existing = (await listWebhooks(s)).find((w) => w.name === i.webhookName);
      const hook = existing && alreadyAsDeclared(existing, i) ? existing : await upsertAndReadBack(s, i);
      return { id: String(hook.id), outs: outputsFor(i, hook) };
    });
  },

  async read(id, props) {
    const stored = upgradeOutputs((props ?? {}) as Record<string, unknown>);
    return withSession(stored.instanceUrl, stored.bitbucketServer, [stored.secret], async (s) => {
      const all = await listWebhooks(s);
      // The name is the plugin's key; the id finds a hook renamed in the plugin's UI, which then
      // shows as a webhookName change (a replacement that deletes it) instead of being lost.
      const hook =
        all.find((w) => w.name === stored.webhookName) ?? all.find((w) => String(w.id) === id && id !== "");
      if (!hook) return {};
      const outs: WebhookOutputs = outputsFromRemote(stored, hook);
      return { id: String(hook.id), props: outs };
    });
  },

  async update(_id, olds, news) {
    const o = upgradeOutputs(olds as Record<string, unknown>);
    const n = news as WebhookInputs;
    // The stored instance, never one re-read from the environment: a webhook ID sent to another
    // instance would change someone else's webhook.
    const i: WebhookInputs = { ...n, instanceUrl: o.instanceUrl };
    const remoteSame =
      o.scope === i.scope && o.url === i.url && o.secret === i.secret && sameEvents(o.events, i.events);
    if (remoteSame) {
      // Only a credential or the provider code changed: nothing to send.
      return { outs: { ...outputsFor(i, { ...toHook(o), scope: o.remoteScope }) } };
    }
    return withSession(i.instanceUrl, i.bitbucketServer, [i.secret, o.secret], async (s) => {
      const hook = await upsertAndReadBack(s, i);
      return { outs: outputsFor(i, hook) };
    });
  },

  async delete(_id, props) {
    const stored = upgradeOutputs((props ?? {}) as Record<string, unknown>);
    // The plugin answers 204 whether or not the hook exists: one already gone is success.
    await withSession(stored.instanceUrl, stored.bitbucketServer, [stored.secret], (s) =>
      deleteWebhook(s, stored.webhookName),
    );
  },
};

function toHook(o: WebhookOutputs): PluginWebhook {
  return {
    id: o.webhookId,
    name: o.webhookName,
    scope: o.remoteScope,
    events: o.events,
    endpoint: o.url,
    secret: o.secret,
  };
}
