// The summary line of a diff, shared by its text and Markdown forms: how many changes of each kind.
import type { ChangeKind, ReviewedChange } from "./change";
import { count } from "./wording";

/** Each kind in words, for headings and tables. */
export const KIND_LABELS: { readonly [K in ChangeKind]: string } = {
  connection_renamed: "connection renamed",
  receiver_added: "receiver added",
  receiver_removed: "receiver removed",
  hook_added: "hook added",
  hook_removed: "hook removed",
  events_added: "events added",
  events_removed: "events removed",
  url_changed: "URL changed",
  relay_changed: "relay changed",
  tls_changed: "TLS changed",
  secret_changed: "secret changed",
  setting_changed: "setting changed",
};

/** How each kind is counted in the summary: by what it concerns. */
const COUNTED: { readonly [K in ChangeKind]: (n: number) => string } = {
  connection_renamed: (n) => `${count(n, "connection")} renamed`,
  receiver_added: (n) => `${count(n, "receiver")} added`,
  receiver_removed: (n) => `${count(n, "receiver")} removed`,
  hook_added: (n) => `${count(n, "hook")} added`,
  hook_removed: (n) => `${count(n, "hook")} removed`,
  events_added: (n) => `events added on ${count(n, "hook")}`,
  events_removed: (n) => `events removed from ${count(n, "hook")}`,
  url_changed: (n) => `${count(n, "code host URL")} changed`,
  relay_changed: (n) => `the relay changed for ${count(n, "connection")}`,
  tls_changed: (n) => `TLS verification changed on ${count(n, "hook")}`,
  secret_changed: (n) => `${count(n, "secret")} changed`,
  setting_changed: (n) => `${count(n, "setting")} changed`,
};

/** `2 hooks added, events removed from 1 hook, 1 secret changed`, kinds in the order of KIND_LABELS. */
export function kindCounts(changes: readonly ReviewedChange[]): string {
  return (Object.keys(KIND_LABELS) as ChangeKind[])
    .map((kind) => [kind, changes.filter((c) => c.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => COUNTED[kind](n))
    .join(", ");
}

/** The connections changed, in the order of the changes. */
export function connectionsOf(changes: readonly ReviewedChange[]): string[] {
  return [...new Set(changes.map((c) => c.connection))];
}

/** `5 changes in 2 connections` (a change of a declaration-wide config key is in none). */
export function totals(changes: readonly ReviewedChange[]): string {
  const connections = connectionsOf(changes).filter((c) => c.includes("/")).length;
  return `${count(changes.length, "change")}${connections > 0 ? ` in ${count(connections, "connection")}` : ""}`;
}
