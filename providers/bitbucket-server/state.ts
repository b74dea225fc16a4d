import { normalizeEvents } from "../events";
import { type Props, schemaVersionOf } from "../shared";
import { normalizeInstanceUrl } from "./check";
import { BitbucketServerError } from "./errors";
import {
  type BitbucketServerConnection,
  type Inputs,
  type Outputs,
  type PluginWebhook,
  SCHEMA_VERSION,
} from "./types";

/**
 * Reads outputs written by any version of this provider (the installed code always runs, even
 * on state from older ones, since the state holds only a forwarding stub). Version 1 is the
 * first; this fills what a hand-edited or partial state may lack.
 */
export function upgradeOutputs(props: Props, id: string): Outputs {
  schemaVersionOf(props, SCHEMA_VERSION, `Bitbucket Server webhook ${id}`);
  const conn = (props.bitbucketServer ?? undefined) as BitbucketServerConnection | undefined;
  let instanceUrl = typeof props.instanceUrl === "string" ? props.instanceUrl : undefined;
  if (instanceUrl === undefined && typeof conn?.url === "string") {
    const n = normalizeInstanceUrl(conn.url, "bitbucketServer.url");
    if ("url" in n) instanceUrl = n.url;
  }
  if (instanceUrl === undefined) {
    throw new BitbucketServerError(
      "this webhook's state has no Bitbucket Server URL (instanceUrl); run `pulumi up` with bitbucketServer.url or BITBUCKET_SERVER_URL set so it is stored",
      "invalidState",
    );
  }
  const scope = typeof props.scope === "string" ? props.scope : "global";
  return {
    ...(conn ? { bitbucketServer: conn } : {}),
    instanceUrl,
    webhookName: String(props.webhookName ?? ""),
    scope,
    url: String(props.url ?? ""),
    secret: String(props.secret ?? ""),
    events: Array.isArray(props.events) ? normalizeEvents(props.events.map(String)) : [],
    webhookId: Number(props.webhookId ?? 0),
    remoteScope: typeof props.remoteScope === "string" ? props.remoteScope : scope,
    schemaVersion: SCHEMA_VERSION,
  };
}

/** The outputs after a successful upsert: the declared settings plus what only GET tells. */
export function outputsFor(inputs: Inputs, hook: Pick<PluginWebhook, "id" | "scope">): Outputs {
  return {
    ...(inputs.bitbucketServer ? { bitbucketServer: inputs.bitbucketServer } : {}),
    instanceUrl: inputs.instanceUrl,
    webhookName: inputs.webhookName,
    scope: inputs.scope,
    url: inputs.url,
    secret: inputs.secret,
    events: normalizeEvents(inputs.events),
    webhookId: hook.id,
    remoteScope: hook.scope,
    schemaVersion: SCHEMA_VERSION,
  };
}

/**
 * The outputs as the plugin has them now. GET spells scopes with names; when the spelling is the
 * one recorded at the last write, the declared form is kept, so only a real change shows.
 */
export function outputsFromRemote(stored: Outputs, hook: PluginWebhook): Outputs {
  return {
    ...stored,
    webhookId: hook.id,
    webhookName: hook.name,
    scope: hook.scope === stored.remoteScope ? stored.scope : hook.scope,
    remoteScope: hook.scope,
    url: hook.endpoint,
    // A hook without a secret signs nothing: show it as drift from the declared one.
    secret: hook.secret ?? "",
    events: normalizeEvents(hook.events),
    schemaVersion: SCHEMA_VERSION,
  };
}
