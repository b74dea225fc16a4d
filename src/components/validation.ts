// The component's checks, as small pure functions with exact messages. Each returns the problems
// it finds (an empty list when there are none) as DeclarationErrors with the field's path, so the
// component reports every problem of a declaration at once, before any resource is registered.
// Short secrets only draw a warning. Nothing here loads @pulumi/pulumi: `sg-webhooks check` runs
// these checks without it.
import { type CodeHost, eventsFor, type Feature, unknownEventsError } from "../../providers/events";
import { isWeakSecret, MIN_SECRET_LENGTH } from "../relay/weak-secrets";
import { DeclarationError } from "./declaration-error";

/** Picks a connection's events: its own list, the union of the chosen features, or the default. */
export interface EventChoice {
  /** Sourcegraph features to subscribe for; default `["batchChanges", "push"]`. */
  features?: readonly Feature[];
  /** An explicit event list; replaces `features`. */
  events?: readonly string[];
}

export const DEFAULT_FEATURES: readonly Feature[] = ["batchChanges", "push"];

/**
 * What is wrong with a connection's event choice. `where` names the connection, such as
 * `gitlab[0]`. Both `features` and `events`, a feature without a preset on this code host, an
 * empty list, or a name the code host does not know (the message lists the valid names:
 * @pulumi/github checks nothing of ours, and failing here beats failing in the middle of an `up`
 * for the other code hosts too).
 */
export function eventProblems(host: CodeHost, choice: EventChoice, where: string): DeclarationError[] {
  if (choice.features !== undefined && choice.events !== undefined) {
    return [new DeclarationError(where, 'set either "features" or "events", not both')];
  }
  if (choice.events !== undefined) {
    if (choice.events.length === 0) {
      return [
        new DeclarationError(
          `${where}.events`,
          'the list is empty; give at least one event, or omit "events" for the default (batch changes + push)',
        ),
      ];
    }
    const unknown = unknownEventsError(host, choice.events);
    return unknown ? [new DeclarationError(`${where}.events`, unknown)] : [];
  }
  const features = choice.features ?? DEFAULT_FEATURES;
  const valid = validFeatures(host);
  if (features.length === 0) {
    return [
      new DeclarationError(`${where}.features`, `the list is empty; valid features: ${valid.join(", ")}`),
    ];
  }
  return features
    .filter((f) => !valid.includes(f))
    .map(
      (f) => new DeclarationError(`${where}.features`, `unknown feature "${f}"; valid: ${valid.join(", ")}`),
    );
}

/** The event list of a choice that has no problems: its own list as a set, or its features' union. */
export function chooseEvents(host: CodeHost, choice: EventChoice): string[] {
  return choice.events !== undefined
    ? [...new Set(choice.events)]
    : eventsFor(host, choice.features ?? DEFAULT_FEATURES);
}

/** The event list of one connection; throws its first problem (for a declaration not checked yet). */
export function selectEvents(host: CodeHost, choice: EventChoice, where: string): string[] {
  const [problem] = eventProblems(host, choice, where);
  if (problem) throw problem;
  return chooseEvents(host, choice);
}

/** Features with a preset on a code host: permissions exist on GitHub only. */
export function validFeatures(host: CodeHost): Feature[] {
  return host === "github" ? ["batchChanges", "push", "permissions"] : ["batchChanges", "push"];
}

/** Problems of a URL field: it must be `https://host[:port][/path]` (or http), without credentials. */
export function urlProblems(value: string, where: string): DeclarationError[] {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return [
      new DeclarationError(where, `"${value}" is not a URL; expected one such as https://host.example.com`),
    ];
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    return [new DeclarationError(where, `"${value}" must start with https:// (or http://)`)];
  }
  if (u.username || u.password) {
    return [new DeclarationError(where, "put credentials in the token fields, not in the URL")];
  }
  return [];
}

/** Drops trailing slashes so `${base}/.api/webhooks/<uuid>` has exactly one. */
export function trimSlashes(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The URL a relay receives a receiver's deliveries at (the same path as on Sourcegraph). */
export function relayHookUrl(publicUrl: string, uuid: string): string {
  return `${trimSlashes(publicUrl)}/.api/webhooks/${uuid}`;
}

/** Problems of the relay's public URL: a plain http(s) URL with no query or fragment. */
export function relayUrlProblems(publicUrl: string): DeclarationError[] {
  const where = "relay.publicUrl";
  const problems = urlProblems(publicUrl, where);
  if (problems.length > 0) return problems;
  const u = new URL(publicUrl);
  return u.search || u.hash
    ? [new DeclarationError(where, `"${publicUrl}" must not have a query or fragment`)]
    : [];
}

/** `owner/name`, as GitHub and Bitbucket Cloud spell a repository; undefined for anything else. */
export function parseRepository(value: string): { owner: string; name: string } | undefined {
  const parts = value.split("/");
  return parts.length === 2 && parts[0] && parts[1] ? { owner: parts[0], name: parts[1] } : undefined;
}

/** Problems of a repository list: every entry must be `<owner>/<repository>`. */
export function repositoryProblems(values: readonly string[], where: string): DeclarationError[] {
  return values
    .filter((v) => parseRepository(v) === undefined)
    .map((v) => new DeclarationError(where, `"${v}" must be written as <owner>/<repository>`));
}

/** `owner/name`; throws naming `where` otherwise (for a declaration not checked yet). */
export function splitRepository(value: string, where: string): { owner: string; name: string } {
  const parsed = parseRepository(value);
  if (!parsed) throw repositoryProblems([value], where)[0]!;
  return parsed;
}

/** A connection's key in resource names: its `name`, else the host (and path) of its URL. */
export function connectionKey(name: string | undefined, url: string): string {
  if (name !== undefined) return name;
  const u = new URL(url);
  return `${u.host}${trimSlashes(u.pathname)}`.replace(/[^A-Za-z0-9._-]+/g, "-");
}

/**
 * Two connections of one code host with the same key: their children would have the same resource
 * names. The fix is a distinct `name`. An undefined key (a URL that did not resolve) is skipped.
 */
export function keyClashes(host: string, keys: readonly (string | undefined)[]): DeclarationError[] {
  const seen = new Map<string, number>();
  const problems: DeclarationError[] = [];
  keys.forEach((k, i) => {
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else {
      problems.push(
        new DeclarationError(
          `${host}[${i}]`,
          `resolves to the connection name "${k}", as ${host}[${first}] does; give one of them a distinct "name"`,
        ),
      );
    }
  });
  return problems;
}

/** A list that repeats an entry (each repeated entry once): two hooks with one target would fight each other. */
export function duplicateProblems(values: readonly (string | number)[], where: string): DeclarationError[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const v of values) {
    const k = String(v);
    if (seen.has(k)) repeated.add(k);
    seen.add(k);
  }
  return [...repeated].map((k) => new DeclarationError(where, `"${k}" is listed twice`));
}

/** A connection that declares no hook at all: a receiver nothing delivers to is a mistake. */
export function targetProblems(where: string, counts: Record<string, number>): DeclarationError[] {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return total === 0
    ? [new DeclarationError(where, `declares no hook; set at least one of ${Object.keys(counts).join(", ")}`)]
    : [];
}

/** A credential field's name and value, as in `["username", c.username]`. */
export type NamedValue = readonly [name: string, value: unknown];

/** Problems of exclusive credentials: a token, or a user and a password that go together. */
export function credentialProblems(
  where: string,
  token: unknown,
  [user, userValue]: NamedValue,
  [password, passwordValue]: NamedValue,
): DeclarationError[] {
  const problems: DeclarationError[] = [];
  if (token !== undefined && (userValue !== undefined || passwordValue !== undefined)) {
    problems.push(new DeclarationError(where, `set either "token" or "${user}" + "${password}", not both`));
  }
  if ((userValue === undefined) !== (passwordValue === undefined)) {
    problems.push(
      new DeclarationError(where, `"${user}" and "${password}" go together; set both or neither`),
    );
  }
  return problems;
}

/** Bitbucket Server plugin scopes: `global`, `project:<KEY>` or `repository:<PROJECT>/<slug>`. */
export function scopeProblems(scopes: readonly string[], where: string): DeclarationError[] {
  const valid = (s: string) =>
    s === "global" || /^project:[^/]+$/.test(s) || /^repository:[^/]+\/[^/]+$/.test(s);
  return scopes
    .filter((s) => !valid(s))
    .map(
      (s) =>
        new DeclarationError(
          where,
          `invalid scope "${s}"; valid: global, project:<project name>, repository:<PROJECT KEY>/<slug> (only global receives pull request events)`,
        ),
    );
}

/** The warning for a declared secret shorter than `MIN_SECRET_LENGTH`: it names the field, never the value. */
export function shortSecretWarning(where: string, secret: string): string | undefined {
  if (!isWeakSecret(secret)) return undefined;
  return `${where}: the secret is shorter than ${MIN_SECRET_LENGTH} characters, so it can be guessed from one signed delivery; use a longer one, or leave "secret" out to have 40 random characters generated`;
}
