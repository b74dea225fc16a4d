// The component's checks, as small pure functions with exact messages: they run when the component
// is constructed, before any resource is registered, so a wrong declaration fails `pulumi preview`
// with a message that names the field and what is valid. Short secrets only draw a warning.
import * as pulumi from "@pulumi/pulumi";
import { type CodeHost, eventsFor, type Feature, unknownEventsError } from "../../providers/events";
import { isWeakSecret, MIN_SECRET_LENGTH } from "../relay/weak-secrets";
import type { SourcegraphWebhooksArgs } from "./args";

/** Picks a connection's events: its own list, the union of the chosen features, or the default. */
export interface EventChoice {
  /** Sourcegraph features to subscribe for; default `["batchChanges", "push"]`. */
  features?: readonly Feature[];
  /** An explicit event list; replaces `features`. */
  events?: readonly string[];
}

export const DEFAULT_FEATURES: readonly Feature[] = ["batchChanges", "push"];

/**
 * The event list of one connection. `where` names the field in messages, such as `gitlab[0]`.
 * Throws when both `features` and `events` are set, when a feature has no preset on this code
 * host, when the list is empty, or when it holds a name the code host does not know (the message
 * lists the valid names: @pulumi/github checks nothing of ours, and failing here beats failing in
 * the middle of an `up` for the other code hosts too).
 */
export function selectEvents(host: CodeHost, choice: EventChoice, where: string): string[] {
  if (choice.features !== undefined && choice.events !== undefined) {
    throw new Error(`${where}: set either "features" or "events", not both`);
  }
  if (choice.events !== undefined) {
    if (choice.events.length === 0) {
      throw new Error(
        `${where}.events: the list is empty; give at least one event, or omit "events" for the default (batch changes + push)`,
      );
    }
    const unknown = unknownEventsError(host, choice.events);
    if (unknown) throw new Error(`${where}.events: ${unknown}`);
    return [...new Set(choice.events)];
  }
  const features = choice.features ?? DEFAULT_FEATURES;
  if (features.length === 0) {
    throw new Error(
      `${where}.features: the list is empty; valid features: ${validFeatures(host).join(", ")}`,
    );
  }
  for (const f of features) {
    if (!validFeatures(host).includes(f)) {
      throw new Error(`${where}.features: unknown feature "${f}"; valid: ${validFeatures(host).join(", ")}`);
    }
  }
  return eventsFor(host, features);
}

/** Features with a preset on a code host: permissions exist on GitHub only. */
export function validFeatures(host: CodeHost): Feature[] {
  return host === "github" ? ["batchChanges", "push", "permissions"] : ["batchChanges", "push"];
}

/** `https://host[:port][/path]` without a trailing slash; throws naming `where` otherwise. */
export function parseHttpUrl(value: string, where: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`${where}: "${value}" is not a URL; expected one such as https://host.example.com`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new Error(`${where}: "${value}" must start with https:// (or http://)`);
  }
  if (u.username || u.password) {
    throw new Error(`${where}: put credentials in the token fields, not in the URL`);
  }
  return u;
}

/** Drops trailing slashes so `${base}/.api/webhooks/<uuid>` has exactly one. */
export function trimSlashes(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The URL a relay receives a receiver's deliveries at (the same path as on Sourcegraph). */
export function relayHookUrl(publicUrl: string, uuid: string): string {
  return `${trimSlashes(publicUrl)}/.api/webhooks/${uuid}`;
}

/** Checks the relay's public URL: a plain http(s) URL with no query or fragment. */
export function validateRelayUrl(publicUrl: string): string {
  const u = parseHttpUrl(publicUrl, "relay.publicUrl");
  if (u.search || u.hash) {
    throw new Error(`relay.publicUrl: "${publicUrl}" must not have a query or fragment`);
  }
  return trimSlashes(publicUrl);
}

/** `owner/name`, as GitHub and Bitbucket Cloud spell a repository; throws naming `where`. */
export function splitRepository(value: string, where: string): { owner: string; name: string } {
  const parts = value.split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new Error(`${where}: "${value}" must be written as <owner>/<repository>`);
  }
  return { owner: parts[0], name: parts[1] };
}

/** A connection's key in resource names: its `name`, else the host of its URL. */
export function connectionKey(name: string | undefined, url: string): string {
  if (name !== undefined) return name;
  const u = new URL(url);
  return `${u.host}${trimSlashes(u.pathname)}`.replace(/[^A-Za-z0-9._-]+/g, "-");
}

/**
 * Fails on two connections of one code host with the same key: their children would have the same
 * resource names. The fix is a distinct `name`.
 */
export function assertUniqueKeys(host: string, keys: readonly string[]): void {
  const seen = new Map<string, number>();
  keys.forEach((k, i) => {
    const first = seen.get(k);
    if (first !== undefined) {
      throw new Error(
        `${host}[${i}] and ${host}[${first}] both resolve to the connection name "${k}"; give one of them a distinct "name"`,
      );
    }
    seen.set(k, i);
  });
}

/** Fails on a list that repeats an entry: two hooks with one target would fight each other. */
export function assertNoDuplicates(values: readonly (string | number)[], where: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    const k = String(v);
    if (seen.has(k)) throw new Error(`${where}: "${k}" is listed twice`);
    seen.add(k);
  }
}

/** Fails when a connection declares no hook at all: a receiver nothing delivers to is a mistake. */
export function assertSomeTargets(where: string, counts: Record<string, number>): void {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total === 0) {
    throw new Error(`${where}: declares no hook; set at least one of ${Object.keys(counts).join(", ")}`);
  }
}

/** Bitbucket Server plugin scopes: `global`, `project:<KEY>` or `repository:<PROJECT>/<slug>`. */
export function validateBitbucketServerScope(scope: string, where: string): void {
  if (scope === "global") return;
  if (/^project:[^/]+$/.test(scope)) return;
  if (/^repository:[^/]+\/[^/]+$/.test(scope)) return;
  throw new Error(
    `${where}: invalid scope "${scope}"; valid: global, project:<project name>, repository:<PROJECT KEY>/<slug> (only global receives pull request events)`,
  );
}

/** The warning for a declared secret shorter than `MIN_SECRET_LENGTH`: it names the field, never the value. */
export function shortSecretWarning(where: string, secret: string): string | undefined {
  if (!isWeakSecret(secret)) return undefined;
  return `${where}: the secret is shorter than ${MIN_SECRET_LENGTH} characters, so it can be guessed from one signed delivery; use a longer one, or leave "secret" out to have 40 random characters generated`;
}

/**
 * Warns, on `resource`, about every declared secret shorter than `MIN_SECRET_LENGTH` (a warning,
 * not an error: a short secret still works). A secret known only at deployment is checked then;
 * one that stays unknown in a preview is not.
 */
export function warnShortSecrets(args: SourcegraphWebhooksArgs, resource: pulumi.Resource): void {
  const connections = {
    github: args.github,
    gitlab: args.gitlab,
    bitbucketServer: args.bitbucketServer,
    bitbucketCloud: args.bitbucketCloud,
  };
  for (const [host, list] of Object.entries(connections)) {
    (list ?? []).forEach((c, i) => {
      if (c.secret === undefined || c.secret === false) return;
      pulumi.output(c.secret).apply((secret) => {
        const warning =
          typeof secret === "string" ? shortSecretWarning(`${host}[${i}].secret`, secret) : undefined;
        if (warning) void pulumi.log.warn(warning, resource);
      });
    });
  }
}
