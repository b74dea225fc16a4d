import type * as pulumi from "@pulumi/pulumi";
import { defaultEvents, normalizeEvents, unknownEventsError } from "../events";
import { env, isHttpUrl, UNKNOWN } from "../shared";
import { HOOK_EVENTS, type HookScope } from "./events";
import { DEFAULT_GITLAB_URL, normalizeInstanceUrl } from "./inputs";

type Failure = pulumi.dynamic.CheckFailure;

/** Validates the instance URL; returns an error reason or undefined. */
export function instanceUrlProblem(value: unknown, property: string): string | undefined {
  if (typeof value !== "string" || !isHttpUrl(value)) {
    return `${property} must be the GitLab instance URL such as https://gitlab.example.com, got ${JSON.stringify(value)}`;
  }
  if (/\/api\/v4\/?$/.test(value)) {
    return `${property} is the instance URL such as https://gitlab.example.com, without /api/v4; got "${value}"`;
  }
  return undefined;
}

const PROJECT_PATH = /^[^/\s]+(\/[^/\s]+)+$/;
const GROUP_PATH = /^[^/\s]+(\/[^/\s]+)*$/;

/**
 * Validates and normalizes a hook's inputs. Values not known yet (preview) pass unchanged. The
 * instance URL falls back to GITLAB_URL, then https://gitlab.com, and is written into the checked
 * inputs so diff stays local; the token is never read from the environment here.
 */
export function checkHook(scope: HookScope, news: Record<string, unknown>): pulumi.dynamic.CheckResult {
  const failures: Failure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const out: Record<string, unknown> = {};

  // gitlab: { url?, token? }
  const gitlab = news.gitlab;
  const conn: Record<string, unknown> = {};
  if (gitlab === UNKNOWN) {
    out.gitlab = UNKNOWN;
  } else {
    if (gitlab !== undefined && gitlab !== null && (typeof gitlab !== "object" || Array.isArray(gitlab))) {
      fail("gitlab", "gitlab must be an object { url?, token? }");
    }
    const g = (gitlab && typeof gitlab === "object" ? gitlab : {}) as Record<string, unknown>;
    const url = g.url ?? env("GITLAB_URL") ?? DEFAULT_GITLAB_URL;
    if (url === UNKNOWN) conn.url = UNKNOWN;
    else {
      const source = g.url !== undefined ? "gitlab.url" : env("GITLAB_URL") ? "GITLAB_URL" : "gitlab.url";
      const problem = instanceUrlProblem(url, source);
      if (problem) fail("gitlab", problem);
      else conn.url = normalizeInstanceUrl(url as string);
    }
    if (g.token !== undefined && g.token !== null) {
      if (g.token === UNKNOWN) conn.token = UNKNOWN;
      else if (typeof g.token !== "string" || g.token.trim() === "") {
        fail("gitlab", "gitlab.token must be a non-empty string (a GitLab access token with the api scope)");
      } else conn.token = g.token;
    }
    out.gitlab = conn;
  }

  // project / group
  const key = scope;
  const other = scope === "project" ? "group" : "project";
  if (news[other] !== undefined && news[other] !== null) {
    fail(other, `a ${scope} hook takes "${scope}", not "${other}"`);
  }
  const owner = news[key];
  if (owner === UNKNOWN) out[key] = UNKNOWN;
  else if (typeof owner === "number" && Number.isInteger(owner) && owner > 0) out[key] = String(owner);
  else if (
    typeof owner === "string" &&
    (/^\d+$/.test(owner) || (scope === "project" ? PROJECT_PATH : GROUP_PATH).test(owner))
  ) {
    out[key] = owner.replace(/^\/+|\/+$/g, "");
  } else {
    fail(
      key,
      scope === "project"
        ? `project must be a numeric project ID or its full path such as "group/sub/project", got ${JSON.stringify(owner)}`
        : `group must be a numeric group ID or its full path such as "group/subgroup", got ${JSON.stringify(owner)}`,
    );
  }

  // url
  if (news.url === UNKNOWN) out.url = UNKNOWN;
  else if (typeof news.url !== "string" || !isHttpUrl(news.url)) {
    fail(
      "url",
      `url must be the absolute http(s) URL the hook delivers to (the Sourcegraph receiver URL), got ${JSON.stringify(news.url)}`,
    );
  } else out.url = news.url;

  // secret
  if (news.secret !== undefined && news.secret !== null) {
    if (news.secret === UNKNOWN) out.secret = UNKNOWN;
    else if (typeof news.secret !== "string" || news.secret === "") {
      fail("secret", "secret must be a non-empty string (GitLab's secret token), or omitted for no token");
    } else if (/[\r\n]/.test(news.secret)) {
      fail(
        "secret",
        "secret must not contain line breaks (GitLab strips them from the X-Gitlab-Token header)",
      );
    } else out.secret = news.secret;
  }

  // events
  const events = news.events ?? defaultEvents("gitlab");
  if (containsUnknownEvent(events)) out.events = UNKNOWN;
  else if (!Array.isArray(events) || events.some((e) => typeof e !== "string")) {
    fail(
      "events",
      `events must be a list of GitLab hook field names; valid: ${HOOK_EVENTS[scope].join(", ")}`,
    );
  } else if (events.length === 0) {
    fail("events", `events must name at least one event; valid: ${HOOK_EVENTS[scope].join(", ")}`);
  } else {
    const names = events as string[];
    const unknown = unknownEventsError("gitlab", names);
    const allowed = new Set(HOOK_EVENTS[scope]);
    const wrongScope = names.filter((n) => !allowed.has(n));
    if (unknown) fail("events", unknown);
    else if (wrongScope.length > 0) {
      fail(
        "events",
        `${wrongScope.map((n) => `"${n}"`).join(", ")} ${wrongScope.length > 1 ? `are not ${scope} hook events` : `is not a ${scope} hook event`}; valid: ${HOOK_EVENTS[scope].join(", ")}`,
      );
    } else out.events = normalizeEvents(names);
  }

  // enableSslVerification
  const ssl = news.enableSslVerification ?? true;
  if (ssl === UNKNOWN) out.enableSslVerification = UNKNOWN;
  else if (typeof ssl !== "boolean")
    fail("enableSslVerification", "enableSslVerification must be true or false");
  else out.enableSslVerification = ssl;

  return failures.length > 0 ? { inputs: news, failures } : { inputs: out };
}

function containsUnknownEvent(events: unknown): boolean {
  return events === UNKNOWN || (Array.isArray(events) && events.includes(UNKNOWN));
}
