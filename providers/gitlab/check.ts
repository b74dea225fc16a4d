import {
  type CheckResult,
  checkEventList,
  env,
  failureList,
  isHttpUrl,
  normalizeBaseUrl,
  type Props,
  UNKNOWN,
} from "../shared";
import { DEFAULT_GITLAB_URL, HOOK_EVENTS, type HookScope } from "./types";

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
export function check(news: Props, scope: HookScope): CheckResult {
  const { failures, fail } = failureList();
  const out: Props = {};

  // gitlab: { url?, token? }
  const gitlab = news.gitlab;
  const conn: Props = {};
  if (gitlab === UNKNOWN) {
    out.gitlab = UNKNOWN;
  } else {
    if (gitlab !== undefined && gitlab !== null && (typeof gitlab !== "object" || Array.isArray(gitlab))) {
      fail("gitlab", "gitlab must be an object { url?, token? }");
    }
    const g = (gitlab && typeof gitlab === "object" ? gitlab : {}) as Props;
    const url = g.url ?? env("GITLAB_URL") ?? DEFAULT_GITLAB_URL;
    if (url === UNKNOWN) conn.url = UNKNOWN;
    else {
      const source = g.url !== undefined ? "gitlab.url" : env("GITLAB_URL") ? "GITLAB_URL" : "gitlab.url";
      const problem = instanceUrlProblem(url, source);
      if (problem) fail("gitlab", problem);
      else conn.url = normalizeBaseUrl(url as string);
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
  const events = checkEventList("gitlab", news.events, HOOK_EVENTS[scope]);
  if (events.status === "invalid") fail("events", events.problem);
  else if (events.status === "unknown") out.events = events.events;
  else {
    const allowed = new Set(HOOK_EVENTS[scope]);
    const wrongScope = events.events.filter((n) => !allowed.has(n));
    if (wrongScope.length > 0) {
      fail(
        "events",
        `${wrongScope.map((n) => `"${n}"`).join(", ")} ${wrongScope.length > 1 ? `are not ${scope} hook events` : `is not a ${scope} hook event`}; valid: ${HOOK_EVENTS[scope].join(", ")}`,
      );
    } else out.events = events.events;
  }

  // enableSslVerification
  const ssl = news.enableSslVerification ?? true;
  if (ssl === UNKNOWN) out.enableSslVerification = UNKNOWN;
  else if (typeof ssl !== "boolean")
    fail("enableSslVerification", "enableSslVerification must be true or false");
  else out.enableSslVerification = ssl;

  return { inputs: failures.length > 0 ? news : out, failures };
}
