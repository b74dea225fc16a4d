// Validation and normalization of the inputs: pure, with messages that name the input and what
// is valid. Values not known yet (preview) pass untouched.
import {
  type CheckResult,
  checkEventList,
  env,
  failureList,
  isRecord,
  normalizeBaseUrl,
  type Props,
  UNKNOWN,
} from "../shared";

const SCOPE_FORMS = '"global", "project:<project name>" or "repository:<PROJECT KEY>/<repository slug>"';

/** Why a scope is not one the plugin resolves, or undefined when it is. */
export function scopeProblem(scope: unknown): string | undefined {
  if (scope === UNKNOWN) return undefined;
  if (typeof scope !== "string") return `scope must be ${SCOPE_FORMS}`;
  if (scope === "global") return undefined;
  // The plugin splits on ":" and keeps only the second part, so a third one would be lost.
  const project = /^project:([^:]+)$/.exec(scope);
  if (project) {
    return project[1]!.trim() === project[1] && project[1] !== ""
      ? undefined
      : `scope "${scope}": the project name must not start or end with spaces`;
  }
  if (/^repository:[^/:\s]+\/[^/:\s]+$/.test(scope)) return undefined;
  if (scope.startsWith("repository:")) {
    return `scope "${scope}" must be "repository:<PROJECT KEY>/<repository slug>" (one "/", no spaces), such as "repository:PROJ/my-repo"`;
  }
  return `scope must be ${SCOPE_FORMS}; got "${scope}"`;
}

/**
 * The instance URL in its stored form (origin plus context path, no trailing slash), or an
 * error message.
 */
export function normalizeInstanceUrl(raw: string, from: string): { url: string } | { error: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return {
      error: `${from} must be the Bitbucket Server's URL, such as https://bitbucket.example.com; got "${raw}"`,
    };
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    return { error: `${from} must be an http(s) URL; got "${raw}"` };
  }
  if (u.username || u.password) {
    return {
      error: `${from} must not contain credentials; use bitbucketServer.token or bitbucketServer.username + bitbucketServer.password`,
    };
  }
  if (u.search || u.hash) return { error: `${from} must not have a query or fragment; got "${raw}"` };
  return { url: normalizeBaseUrl(raw) };
}

/**
 * Checks and normalizes the inputs. The instance URL comes from `bitbucketServer.url` or else
 * `BITBUCKET_SERVER_URL`, and is kept as `instanceUrl` so later calls never re-read it.
 */
export function check(news: Props): CheckResult {
  const { failures, fail } = failureList();
  const inputs: Props = {};

  const conn = news.bitbucketServer;
  let rawUrl: unknown;
  let urlFrom = "bitbucketServer.url";
  if (conn === UNKNOWN) {
    rawUrl = UNKNOWN;
  } else if (conn !== undefined && conn !== null && !isRecord(conn)) {
    fail(
      "bitbucketServer",
      "bitbucketServer must be an object { url?, token? } or { url?, username?, password? }",
    );
  } else {
    const c = (conn ?? {}) as Props;
    for (const key of Object.keys(c)) {
      if (!["url", "token", "username", "password"].includes(key)) {
        fail(
          "bitbucketServer",
          `bitbucketServer.${key} is not an option; valid: url, token, username, password`,
        );
      }
    }
    for (const key of ["url", "token", "username", "password"]) {
      const v = c[key];
      if (v !== undefined && v !== null && typeof v !== "string")
        fail("bitbucketServer", `bitbucketServer.${key} must be a string`);
    }
    const has = (k: string) => c[k] !== undefined && c[k] !== null && c[k] !== "";
    if (has("token") && (has("username") || has("password"))) {
      fail(
        "bitbucketServer",
        "give bitbucketServer.token or bitbucketServer.username + bitbucketServer.password, not both",
      );
    } else if (has("username") !== has("password")) {
      fail(
        "bitbucketServer",
        "bitbucketServer.username and bitbucketServer.password go together (or give bitbucketServer.token)",
      );
    }
    if (conn !== undefined && conn !== null) {
      const kept: Props = {};
      for (const key of ["url", "token", "username", "password"]) if (has(key)) kept[key] = c[key];
      if (Object.keys(kept).length > 0) inputs.bitbucketServer = kept;
    }
    if (has("url")) {
      rawUrl = c.url;
    } else {
      rawUrl = env("BITBUCKET_SERVER_URL");
      urlFrom = "BITBUCKET_SERVER_URL";
    }
  }
  if (rawUrl === UNKNOWN) {
    inputs.instanceUrl = UNKNOWN;
  } else if (rawUrl === undefined) {
    fail(
      "bitbucketServer",
      "the Bitbucket Server URL is missing: set bitbucketServer.url or BITBUCKET_SERVER_URL",
    );
  } else if (typeof rawUrl === "string") {
    const n = normalizeInstanceUrl(rawUrl, urlFrom);
    if ("error" in n) fail("bitbucketServer", n.error);
    else inputs.instanceUrl = n.url;
  }

  const name = news.webhookName;
  if (name === UNKNOWN) inputs.webhookName = name;
  else if (typeof name !== "string" || name === "") {
    fail("webhookName", "webhookName must be a non-empty string (the plugin's webhook name, its upsert key)");
  } else if (name.length > 255) {
    fail("webhookName", `webhookName must be at most 255 characters; it has ${name.length}`);
  } else inputs.webhookName = name;

  const scope = news.scope ?? "global";
  const scopeError = scopeProblem(scope);
  if (scopeError) fail("scope", scopeError);
  else inputs.scope = scope;

  const url = news.url;
  if (url === UNKNOWN) inputs.url = url;
  else if (typeof url !== "string" || !/^https?:\/\/[^\s]+$/i.test(url) || !URL.canParse(url)) {
    fail(
      "url",
      `url must be an http(s) URL: the Sourcegraph receiver URL, such as https://sourcegraph.example.com/.api/webhooks/<uuid>; got ${JSON.stringify(url ?? null)}`,
    );
  } else inputs.url = url;

  const secret = news.secret;
  if (secret === UNKNOWN) inputs.secret = secret;
  else if (typeof secret !== "string" || secret === "") {
    fail(
      "secret",
      "secret is required: the plugin signs every delivery with it and sends nothing without one; give the Sourcegraph receiver's secret",
    );
  } else inputs.secret = secret;

  const events = checkEventList("bitbucketServer", news.events);
  if (events.status === "invalid") fail("events", events.problem);
  else inputs.events = events.events;

  return { inputs, failures };
}
