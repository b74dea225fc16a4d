// The changes of one connection between two declarations: what a reviewer needs to know about its
// receiver and hooks, in the declaration's terms, with the resource names `pulumi preview` shows.
// Event lists are sets and hooks match by name, so reordering alone yields nothing.
import type { ReviewedChange } from "./change";
import type { ConnectionView, HookView, SecretSource } from "./declaration-view";
import { eventImpact } from "./event-meanings";
import type { ConnectionPair } from "./match-connections";
import { count, eventList, HOST_NAMES, hookLabel, itsHooks } from "./wording";

/** What only one side has: a connection added or removed, with each of its hooks. */
function wholeConnection(c: ConnectionView, added: boolean, relayUrl: string | undefined): ReviewedChange[] {
  const host = HOST_NAMES[c.host];
  const receiver: ReviewedChange = added
    ? {
        connection: c.id,
        kind: "receiver_added",
        resource: c.receiver,
        detail: `a Sourcegraph receiver for ${host} at ${c.url} is created, with ${count(c.hooks.length, "hook")}`,
      }
    : {
        connection: c.id,
        kind: "receiver_removed",
        resource: c.receiver,
        detail: `the Sourcegraph receiver for ${host} at ${c.url} is deleted, and ${itsHooks(c.hooks.length)} with it: Sourcegraph stops receiving this connection's webhooks`,
        attention: "removes a receiver",
      };
  return [receiver, ...c.hooks.map((h) => hookChange(c, h, added, relayUrl))];
}

function hookChange(
  c: ConnectionView,
  h: HookView,
  added: boolean,
  relayUrl: string | undefined,
): ReviewedChange {
  const to = relayUrl ? `the relay at ${relayUrl}` : "its receiver";
  return added
    ? {
        connection: c.id,
        kind: "hook_added",
        resource: h.resource,
        detail: `${hookLabel(h)} is created, delivering to ${to} (${count(c.events.size, "event")}: ${eventList(c.events)})`,
      }
    : {
        connection: c.id,
        kind: "hook_removed",
        resource: h.resource,
        detail: `${hookLabel(h)} is deleted: ${HOST_NAMES[c.host]} stops sending its events to Sourcegraph`,
        attention: "removes a hook",
      };
}

function renamed(b: ConnectionView, h: ConnectionView): ReviewedChange {
  return {
    connection: h.id,
    kind: "connection_renamed",
    resource: h.receiver,
    detail: `${b.id} is now ${h.id}: Pulumi REPLACES its receiver (${b.receiver} becomes ${h.receiver}, with a new UUID and URL) and ${itsHooks(h.hooks.length)} (${h.hooks.length === 1 ? "deleted" : "each deleted"} and created again under its new name), and deliveries in between are lost; to keep them, set name: ${b.key} on this connection`,
    attention: "replaces the connection's resources",
  };
}

/** Where the hooks go when the code host URL changes, per code host. */
function urlChange(b: ConnectionView, h: ConnectionView): ReviewedChange {
  const host = HOST_NAMES[h.host];
  const hooks =
    h.host === "bitbucketCloud"
      ? "its hooks stay (Bitbucket Cloud's API is apiUrl)"
      : h.hooks.length === 0
        ? "it has no hook"
        : `${itsHooks(h.hooks.length)} ${h.hooks.length === 1 ? "is" : "are"} REPLACED on the ${host} at the new URL`;
  return {
    connection: h.id,
    kind: "url_changed",
    resource: h.receiver,
    detail: `the code host URL changes from ${b.url} to ${h.url}: the receiver is updated in place, and ${hooks}`,
    ...(h.host === "bitbucketCloud" || h.hooks.length === 0 ? {} : { attention: "replaces hooks" }),
  };
}

/** Hooks on one side only, and the events and TLS setting of those on both. */
function hookChanges(b: ConnectionView, h: ConnectionView, relayUrl: string | undefined): ReviewedChange[] {
  const changes: ReviewedChange[] = [];
  const before = new Map(b.hooks.map((x) => [x.name, x]));
  const after = new Set(h.hooks.map((x) => x.name));
  const gained = [...h.events].filter((e) => !b.events.has(e));
  const lost = [...b.events].filter((e) => !h.events.has(e));
  for (const hook of h.hooks) if (!before.has(hook.name)) changes.push(hookChange(h, hook, true, relayUrl));
  for (const hook of b.hooks) if (!after.has(hook.name)) changes.push(hookChange(b, hook, false, relayUrl));
  const kept = h.hooks.filter((hook) => before.has(hook.name));
  for (const hook of kept) {
    const label = hookLabel(hook);
    if (gained.length > 0)
      changes.push({
        connection: h.id,
        kind: "events_added",
        resource: hook.resource,
        detail: `${label} now also sends ${eventList(gained)}: ${eventImpact(h.host, gained.sort(), true)}`,
      });
    if (lost.length > 0)
      changes.push({
        connection: h.id,
        kind: "events_removed",
        resource: hook.resource,
        detail: `${label} no longer sends ${eventList(lost)}: ${eventImpact(h.host, lost.sort(), false)}`,
        attention: "removes events",
      });
    if (b.tls !== h.tls && h.tls !== undefined)
      changes.push(
        h.tls
          ? {
              connection: h.id,
              kind: "tls_changed",
              resource: hook.resource,
              detail: `TLS verification is turned back on: GitLab verifies the certificate of where ${label} delivers`,
            }
          : {
              connection: h.id,
              kind: "tls_changed",
              resource: hook.resource,
              detail: `TLS verification is turned OFF: GitLab will deliver for ${label} without verifying the receiving certificate, so anyone on the path can read deliveries and answer in Sourcegraph's place`,
              attention: "turns TLS verification off",
            },
      );
  }
  return changes;
}

/** The secret's change, told without its value, its ciphertext or its length. */
function secretChange(b: ConnectionView, h: ConnectionView): ReviewedChange | undefined {
  const was = b.secret;
  const now = h.secret;
  if (was.source === now.source && was.digest === now.digest) return undefined;
  const gets = `its receiver and ${count(h.hooks.length, "hook")} will get the new value`;
  const change = (detail: string, attention?: string): ReviewedChange => ({
    connection: h.id,
    kind: "secret_changed",
    resource: h.receiver,
    detail,
    ...(attention ? { attention } : {}),
  });
  if (now.source === "none")
    return change(
      `${h.id} declares no secret (secret: false): deliveries will not be signed, so anyone who knows the receiver URL can send it events; Sourcegraph cannot remove a secret it holds, so pulumi up fails for a receiver that has one`,
      "unsigned deliveries",
    );
  if (now.source === "generated")
    return change(
      `the secret of ${h.id} is no longer declared: the receiver keeps the secret it has, and so do its hooks`,
    );
  if (now.source === "encrypted")
    return change(
      was.source === "encrypted"
        ? `the encrypted secret of ${h.id} changed: ${gets}`
        : `the secret of ${h.id} is now declared, encrypted: ${gets}`,
    );
  return change(
    `the secret of ${h.id} changed (written in plain text in the stack file: encrypt it with pulumi config set --secret --path): ${gets}`,
  );
}

/** Credentials: only that they changed, and where they come from now; never a value. */
function credentialChanges(b: ConnectionView, h: ConnectionView): ReviewedChange[] {
  return Object.entries(h.credentials).flatMap(([field, now]) => {
    const was: SecretSource = b.credentials[field] ?? { source: "environment" };
    if (was.source === now.source && was.digest === now.digest) return [];
    const what =
      now.source === "environment"
        ? `${field} is no longer declared: it comes from the environment`
        : now.source === "encrypted" && was.source === "encrypted"
          ? `the encrypted ${field} changed (or was encrypted again: ciphertexts differ on every pulumi config set)`
          : `${field} changed (now ${now.source === "encrypted" ? "encrypted" : "in plain text: encrypt it with pulumi config set --secret --path"})`;
    return [
      {
        connection: h.id,
        kind: "setting_changed" as const,
        resource: h.receiver,
        detail: `${what}; Pulumi uses it for this connection's ${HOST_NAMES[h.host]} calls, nothing is replaced`,
      },
    ];
  });
}

const shown = (v: string | undefined): string => (v === undefined ? "(default)" : v);

function settingChanges(b: ConnectionView, h: ConnectionView): ReviewedChange[] {
  return Object.entries(h.settings).flatMap(([field, now]) => {
    const was = b.settings[field];
    if (was === now) return [];
    const effect =
      field === "apiUrl"
        ? `: ${itsHooks(h.hooks.length)} ${h.hooks.length === 1 ? "is" : "are"} REPLACED through the new API`
        : field === "receiverName"
          ? ": the receiver is renamed in Sourcegraph (in place)"
          : "";
    return [
      {
        connection: h.id,
        kind: "setting_changed" as const,
        resource: h.receiver,
        detail: `${field}: ${shown(was)} → ${shown(now)}${effect}`,
        ...(field === "apiUrl" && h.hooks.length > 0 ? { attention: "replaces hooks" } : {}),
      },
    ];
  });
}

/** Every change of one pair of connections, in a reading order: what is at stake first. */
export function connectionChanges(pair: ConnectionPair, relayUrl: string | undefined): ReviewedChange[] {
  const { base: b, head: h } = pair;
  if (!b && h) return wholeConnection(h, true, relayUrl);
  if (b && !h) return wholeConnection(b, false, relayUrl);
  if (!b || !h) return [];
  const secret = secretChange(b, h);
  return [
    ...(pair.renamed ? [renamed(b, h)] : []),
    ...(b.url !== h.url ? [urlChange(b, h)] : []),
    ...hookChanges(b, h, relayUrl),
    ...(secret ? [secret] : []),
    ...credentialChanges(b, h),
    ...settingChanges(b, h),
  ];
}
