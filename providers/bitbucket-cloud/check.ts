// Validation and normalization of the inputs, with messages that name the input and what is valid.
import {
  type CheckResult,
  checkEventList,
  containsUnknown,
  failureList,
  isHttpUrl,
  normalizeBaseUrl,
  type Props,
  UNKNOWN,
} from "../shared";
import { type Connection, DEFAULT_API_URL, DEFAULT_DESCRIPTION, type Inputs } from "./types";

const SLUG = /^(?:\{[0-9a-fA-F-]+\}|[A-Za-z0-9][A-Za-z0-9._-]*)$/;
const MAX_SECRET = 128;

type Fail = (property: string, reason: string) => void;

function optionalString(v: unknown): v is string | undefined {
  return v === undefined || v === null || typeof v === "string";
}

function checkConnection(raw: unknown, fail: Fail): Connection | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === UNKNOWN) return raw as Connection;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    fail("bitbucketCloud", "bitbucketCloud must be an object { apiUrl?, token? | email? + apiToken? }");
    return undefined;
  }
  const c = raw as Props;
  const out: Connection = {};
  for (const k of ["apiUrl", "token", "email", "apiToken"] as const) {
    const v = c[k];
    if (!optionalString(v)) fail(`bitbucketCloud.${k}`, `bitbucketCloud.${k} must be a string`);
    else if (v !== undefined && v !== null && v !== "") out[k] = v;
  }
  if (out.apiUrl !== undefined && out.apiUrl !== UNKNOWN) {
    if (!isHttpUrl(out.apiUrl)) {
      fail(
        "bitbucketCloud.apiUrl",
        `bitbucketCloud.apiUrl must be an absolute http(s) URL such as ${DEFAULT_API_URL}, got "${out.apiUrl}"`,
      );
    } else out.apiUrl = normalizeBaseUrl(out.apiUrl);
  }
  if (out.token !== undefined && (out.email !== undefined || out.apiToken !== undefined)) {
    fail(
      "bitbucketCloud.token",
      "bitbucketCloud: give either token (an access token) or email with apiToken (an Atlassian API token), not both",
    );
  } else if (out.email !== undefined && out.apiToken === undefined) {
    fail(
      "bitbucketCloud.apiToken",
      "bitbucketCloud.email needs bitbucketCloud.apiToken (an Atlassian API token)",
    );
  } else if (out.apiToken !== undefined && out.email === undefined) {
    fail(
      "bitbucketCloud.email",
      "bitbucketCloud.apiToken needs bitbucketCloud.email: Atlassian API tokens authenticate with the account e-mail, not the username",
    );
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The resource's check: normalized inputs and failures. Unknown values (preview) pass. */
export function check(news: Props): CheckResult<Inputs> {
  const { failures, fail } = failureList();
  const connection = checkConnection(news.bitbucketCloud, fail);
  const apiUrl =
    connection === (UNKNOWN as unknown) || containsUnknown(connection?.apiUrl)
      ? UNKNOWN
      : (connection?.apiUrl ?? DEFAULT_API_URL);

  const workspace = news.workspace;
  if (workspace !== UNKNOWN) {
    if (typeof workspace !== "string" || workspace === "") {
      fail(
        "workspace",
        "workspace is required: the Bitbucket Cloud workspace slug, as in https://bitbucket.org/<workspace>/",
      );
    } else if (!SLUG.test(workspace)) {
      fail(
        "workspace",
        `workspace "${workspace}" is not a workspace slug (letters, digits, "-", "_" and "." as in https://bitbucket.org/<workspace>/, or a {uuid})`,
      );
    }
  }

  const repository = news.repository === null || news.repository === "" ? undefined : news.repository;
  if (repository !== undefined && repository !== UNKNOWN) {
    if (typeof repository !== "string") {
      fail("repository", "repository must be a string: the repository slug");
    } else if (repository.includes("/")) {
      fail(
        "repository",
        `repository "${repository}" must be the repository slug only; give the workspace in workspace`,
      );
    } else if (!SLUG.test(repository)) {
      fail(
        "repository",
        `repository "${repository}" is not a repository slug (letters, digits, "-", "_" and "." as in https://bitbucket.org/<workspace>/<repository>, or a {uuid}); omit it for a workspace hook`,
      );
    }
  }

  const url = news.url;
  if (url !== UNKNOWN && (typeof url !== "string" || !isHttpUrl(url))) {
    fail(
      "url",
      `url must be an absolute http(s) URL: the Sourcegraph receiver URL the hook delivers to${typeof url === "string" ? `, got "${url}"` : ""}`,
    );
  }

  const events = checkEventList("bitbucketCloud", news.events);
  if (events.status === "invalid") fail("events", events.problem);

  const description =
    news.description === undefined || news.description === null ? DEFAULT_DESCRIPTION : news.description;
  if (description !== UNKNOWN && typeof description !== "string") {
    fail("description", "description must be a string");
  }

  const secret = news.secret === null ? undefined : news.secret;
  if (secret !== undefined && secret !== UNKNOWN) {
    if (typeof secret !== "string" || secret.length === 0 || secret.length > MAX_SECRET) {
      fail(
        "secret",
        `secret must be a string of 1 to ${MAX_SECRET} characters (Bitbucket Cloud's limit); omit it for a hook without a secret`,
      );
    }
  }

  const inputs: Inputs = {
    ...(connection !== undefined ? { bitbucketCloud: connection } : {}),
    apiUrl,
    workspace: workspace as string,
    ...(repository !== undefined ? { repository: repository as string } : {}),
    url: url as string,
    events: (events.status === "invalid" ? news.events : events.events) as string[],
    description: description as string,
    ...(secret !== undefined ? { secret: secret as string } : {}),
  };
  return { inputs, failures };
}
