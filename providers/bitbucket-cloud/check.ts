// Validation and normalization of the inputs, with messages that name the input and what is valid.
import type * as pulumi from "@pulumi/pulumi";
import { defaultEvents, normalizeEvents, unknownEventsError } from "../events";
import { containsUnknown, isHttpUrl, UNKNOWN } from "../shared";
import { type Connection, DEFAULT_API_URL, type Inputs, normalizeApiUrl } from "./config";

export const DEFAULT_DESCRIPTION = "Sourcegraph";

type Failure = pulumi.dynamic.CheckFailure;

const SLUG = /^(?:\{[0-9a-fA-F-]+\}|[A-Za-z0-9][A-Za-z0-9._-]*)$/;
const MAX_SECRET = 128;

function optionalString(v: unknown): v is string | undefined {
  return v === undefined || v === null || typeof v === "string";
}

function checkConnection(raw: unknown, failures: Failure[]): Connection | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === UNKNOWN) return raw as Connection;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    failures.push({
      property: "bitbucketCloud",
      reason: "bitbucketCloud must be an object { apiUrl?, token? | email? + apiToken? }",
    });
    return undefined;
  }
  const c = raw as Record<string, unknown>;
  const out: Connection = {};
  for (const k of ["apiUrl", "token", "email", "apiToken"] as const) {
    const v = c[k];
    if (!optionalString(v)) {
      failures.push({ property: `bitbucketCloud.${k}`, reason: `bitbucketCloud.${k} must be a string` });
    } else if (v !== undefined && v !== null && v !== "") {
      out[k] = v;
    }
  }
  if (out.apiUrl !== undefined && out.apiUrl !== UNKNOWN) {
    if (!isHttpUrl(out.apiUrl)) {
      failures.push({
        property: "bitbucketCloud.apiUrl",
        reason: `bitbucketCloud.apiUrl must be an absolute http(s) URL such as ${DEFAULT_API_URL}, got "${out.apiUrl}"`,
      });
    } else out.apiUrl = normalizeApiUrl(out.apiUrl);
  }
  if (out.token !== undefined && (out.email !== undefined || out.apiToken !== undefined)) {
    failures.push({
      property: "bitbucketCloud.token",
      reason:
        "bitbucketCloud: give either token (an access token) or email with apiToken (an Atlassian API token), not both",
    });
  } else if (out.email !== undefined && out.apiToken === undefined) {
    failures.push({
      property: "bitbucketCloud.apiToken",
      reason: "bitbucketCloud.email needs bitbucketCloud.apiToken (an Atlassian API token)",
    });
  } else if (out.apiToken !== undefined && out.email === undefined) {
    failures.push({
      property: "bitbucketCloud.email",
      reason:
        "bitbucketCloud.apiToken needs bitbucketCloud.email: Atlassian API tokens authenticate with the account e-mail, not the username",
    });
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The resource's check: normalized inputs and failures. Unknown values (preview) pass. */
export function check(news: Record<string, unknown>): { inputs: Inputs; failures: Failure[] } {
  const failures: Failure[] = [];
  const connection = checkConnection(news.bitbucketCloud, failures);
  const apiUrl =
    connection === (UNKNOWN as unknown) || containsUnknown(connection?.apiUrl)
      ? UNKNOWN
      : (connection?.apiUrl ?? DEFAULT_API_URL);

  const workspace = news.workspace;
  if (workspace !== UNKNOWN) {
    if (typeof workspace !== "string" || workspace === "") {
      failures.push({
        property: "workspace",
        reason:
          "workspace is required: the Bitbucket Cloud workspace slug, as in https://bitbucket.org/<workspace>/",
      });
    } else if (!SLUG.test(workspace)) {
      failures.push({
        property: "workspace",
        reason: `workspace "${workspace}" is not a workspace slug (letters, digits, "-", "_" and "." as in https://bitbucket.org/<workspace>/, or a {uuid})`,
      });
    }
  }

  const repository = news.repository === null || news.repository === "" ? undefined : news.repository;
  if (repository !== undefined && repository !== UNKNOWN) {
    if (typeof repository !== "string") {
      failures.push({ property: "repository", reason: "repository must be a string: the repository slug" });
    } else if (repository.includes("/")) {
      failures.push({
        property: "repository",
        reason: `repository "${repository}" must be the repository slug only; give the workspace in workspace`,
      });
    } else if (!SLUG.test(repository)) {
      failures.push({
        property: "repository",
        reason: `repository "${repository}" is not a repository slug (letters, digits, "-", "_" and "." as in https://bitbucket.org/<workspace>/<repository>, or a {uuid}); omit it for a workspace hook`,
      });
    }
  }

  const url = news.url;
  if (url !== UNKNOWN && (typeof url !== "string" || !isHttpUrl(url))) {
    failures.push({
      property: "url",
      reason: `url must be an absolute http(s) URL: the Sourcegraph receiver URL the hook delivers to${typeof url === "string" ? `, got "${url}"` : ""}`,
    });
  }

  let events: string[] | string = defaultEvents("bitbucketCloud");
  if (news.events === UNKNOWN || containsUnknown(news.events)) {
    events = UNKNOWN;
  } else if (news.events !== undefined && news.events !== null) {
    const list = news.events;
    if (!Array.isArray(list) || list.length === 0 || !list.every((e) => typeof e === "string")) {
      failures.push({
        property: "events",
        reason: 'events must be a non-empty list of Bitbucket Cloud event keys such as "repo:push"',
      });
    } else {
      const problem = unknownEventsError("bitbucketCloud", list);
      if (problem) failures.push({ property: "events", reason: `events: ${problem}` });
      events = list;
    }
  }

  const description =
    news.description === undefined || news.description === null ? DEFAULT_DESCRIPTION : news.description;
  if (description !== UNKNOWN && typeof description !== "string") {
    failures.push({ property: "description", reason: "description must be a string" });
  }

  const secret = news.secret === null ? undefined : news.secret;
  if (secret !== undefined && secret !== UNKNOWN) {
    if (typeof secret !== "string" || secret.length === 0 || secret.length > MAX_SECRET) {
      failures.push({
        property: "secret",
        reason: `secret must be a string of 1 to ${MAX_SECRET} characters (Bitbucket Cloud's limit); omit it for a hook without a secret`,
      });
    }
  }

  const inputs: Inputs = {
    ...(connection !== undefined ? { bitbucketCloud: connection } : {}),
    apiUrl,
    workspace: workspace as string,
    ...(repository !== undefined ? { repository: repository as string } : {}),
    url: url as string,
    events: typeof events === "string" ? (events as unknown as string[]) : normalizeEvents(events),
    description: description as string,
    ...(secret !== undefined ? { secret: secret as string } : {}),
  };
  return { inputs, failures };
}
