// Local and pure, as preview needs it: no network, and values not known yet during preview count
// as changes.
import type * as pulumi from "@pulumi/pulumi";
import { sameEvents } from "../events";
import { containsUnknown, type Props } from "../shared";
import { upgradeOutputs } from "./state";

function changed(a: unknown, b: unknown): boolean {
  return containsUnknown(b) || a !== b;
}

function credentialsOf(conn: unknown): string {
  const c = (conn ?? {}) as Record<string, unknown>;
  return JSON.stringify([c.token ?? null, c.username ?? null, c.password ?? null]);
}

/**
 * Another instance or another `webhookName` (the plugin's upsert key) is another object: replace.
 * Scope, receiver URL, secret and events change in place through the same upsert. A changed
 * credential only refreshes what is stored.
 */
export function diff(id: string, olds: Props, news: Props): pulumi.dynamic.DiffResult {
  const o = upgradeOutputs(olds, id);
  const replaces: string[] = [];
  if (changed(o.instanceUrl, news.instanceUrl)) replaces.push("instanceUrl");
  if (changed(o.webhookName, news.webhookName)) replaces.push("webhookName");
  const events = news.events;
  const inPlace =
    changed(o.scope, news.scope) ||
    changed(o.url, news.url) ||
    changed(o.secret, news.secret) ||
    containsUnknown(events) ||
    !Array.isArray(events) ||
    !sameEvents(o.events, events as string[]) ||
    containsUnknown(news.bitbucketServer) ||
    credentialsOf(o.bitbucketServer) !== credentialsOf(news.bitbucketServer);
  return { changes: replaces.length > 0 || inPlace, replaces, deleteBeforeReplace: false };
}
