// The change between two declarations, connection by connection, plus what the whole declaration
// changes for every connection (the relay, the Sourcegraph instance), its Sourcegraph token (under
// the config key `sourcegraph`) and the config keys encrypted as a whole, which can only be said to
// have changed. Pure: no file, no network.
import type { ChangeKind, ReviewedChange } from "./change";
import { connectionChanges } from "./connection-changes";
import type { ConnectionView, DeclarationView } from "./declaration-view";
import { matchConnections } from "./match-connections";
import { itsHooks } from "./wording";

/** The order of a connection's changes: what replaces or removes resources first. */
const READING_ORDER: readonly ChangeKind[] = [
  "connection_renamed",
  "receiver_removed",
  "receiver_added",
  "url_changed",
  "hook_removed",
  "hook_added",
  "events_removed",
  "events_added",
  "tls_changed",
  "relay_changed",
  "secret_changed",
  "setting_changed",
];

/** What the relay setting changes for one connection's hooks. */
function relayChange(c: ConnectionView, was: string | undefined, now: string | undefined): ReviewedChange {
  const hooks = itsHooks(c.hooks.length);
  const detail =
    was === undefined
      ? `${hooks} will deliver to the relay at ${now} instead of straight to Sourcegraph (updated in place); run the relay with the new relayReceiversFile output before pulumi up`
      : now === undefined
        ? `${hooks} will deliver straight to Sourcegraph instead of through the relay at ${was} (updated in place)`
        : `${hooks} will deliver to the relay at ${now} instead of ${was} (updated in place)`;
  return { connection: c.id, kind: "relay_changed", resource: c.receiver, detail };
}

/** What the declaration-wide settings change for one connection present on both sides. */
function sharedChanges(base: DeclarationView, head: DeclarationView, c: ConnectionView): ReviewedChange[] {
  const changes: ReviewedChange[] = [];
  if (base.relayUrl !== head.relayUrl) changes.push(relayChange(c, base.relayUrl, head.relayUrl));
  if (base.sourcegraphEndpoint !== head.sourcegraphEndpoint) {
    const shown = (e: string | undefined) => e ?? "SRC_ENDPOINT";
    changes.push({
      connection: c.id,
      kind: "setting_changed",
      resource: c.receiver,
      detail: `sourcegraph.endpoint: ${shown(base.sourcegraphEndpoint)} → ${shown(head.sourcegraphEndpoint)}: when that is another instance, the receiver is REPLACED there (new UUID and URL) and ${itsHooks(c.hooks.length)} ${c.hooks.length === 1 ? "delivers" : "deliver"} to its new URL`,
      attention: "may replace the receiver",
    });
  }
  return changes;
}

/**
 * The Sourcegraph access token, once for the whole declaration (every receiver uses it, and an
 * encrypted one changes ciphertext on every pulumi config set).
 */
function tokenChange(base: DeclarationView, head: DeclarationView): ReviewedChange[] {
  const was = base.sourcegraphToken;
  const now = head.sourcegraphToken;
  if (was.source === now.source && was.digest === now.digest) return [];
  const detail =
    now.source === "environment"
      ? "sourcegraph.accessToken is no longer declared: the receivers' calls use SRC_ACCESS_TOKEN; nothing is replaced"
      : `sourcegraph.accessToken changed${now.source === "encrypted" && was.source === "encrypted" ? " (or was encrypted again: ciphertexts differ on every pulumi config set)" : ""}: the receivers' calls use it; nothing is replaced`;
  return [{ connection: "sourcegraph", kind: "setting_changed", resource: "", detail }];
}

/** Config keys encrypted as a whole: only that their ciphertext changed can be said. */
function encryptedKeyChanges(base: DeclarationView, head: DeclarationView): ReviewedChange[] {
  const keys = new Set([...Object.keys(base.encryptedKeys), ...Object.keys(head.encryptedKeys)]);
  return [...keys].flatMap((key) => {
    const was = base.encryptedKeys[key];
    const now = head.encryptedKeys[key];
    if (was === now) return [];
    const detail =
      was !== undefined && now !== undefined
        ? `the encrypted value of the config key ${key} changed; what it declares cannot be read here (run pulumi preview)`
        : now !== undefined
          ? `the config key ${key} is now encrypted as a whole; what it declares cannot be read here (run pulumi preview)`
          : `the config key ${key} is no longer encrypted as a whole`;
    return [{ connection: key, kind: "setting_changed" as const, resource: "", detail }];
  });
}

/** Every change from `base` to `head`; none when they deploy the same thing, whatever the order. */
export function diffDeclarations(base: DeclarationView, head: DeclarationView): ReviewedChange[] {
  const changes: ReviewedChange[] = [];
  for (const pair of matchConnections(base.connections, head.connections)) {
    const own = [
      ...connectionChanges(pair, head.relayUrl),
      ...(pair.base && pair.head ? sharedChanges(base, head, pair.head) : []),
    ];
    // What is at stake first within a connection: stable, so hooks keep their declaration order.
    changes.push(...own.sort((a, b) => READING_ORDER.indexOf(a.kind) - READING_ORDER.indexOf(b.kind)));
  }
  changes.push(...tokenChange(base, head), ...encryptedKeyChanges(base, head));
  return changes;
}
