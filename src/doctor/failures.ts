// An error from a call to Sourcegraph or a code host, as a finding: unreachable, refused credentials
// and missing targets each have their code. The clients' messages already name the server and the
// fix; they are redacted once more before they are shown.
import { BitbucketCloudError } from "../../providers/bitbucket-cloud/errors";
import { BitbucketServerError } from "../../providers/bitbucket-server/errors";
import { GitHubError } from "../../providers/github";
import { GitLabError, GitLabHttpError } from "../../providers/gitlab/errors";
import { AmbiguousRequestError, ConnectionError } from "../../providers/http";
import { SourcegraphError } from "../../providers/sourcegraph/errors";
import { type Code, finding, type Subject } from "./codes";
import { CREDENTIAL_HINTS } from "./credentials";
import type { SecretBag } from "./secrets";
import type { Check, CheckName, CodeHost } from "./types";

type FailureCode = Extract<
  Code,
  | "sourcegraph_unreachable"
  | "code_host_unreachable"
  | "unauthorized"
  | "credentials_missing"
  | "hook_missing"
>;

/** Which code an error from a code host call means. */
function hostCode(err: unknown): FailureCode {
  if (err instanceof GitHubError) {
    if (err.reason === "unauthorized" || err.reason === "forbidden") return "unauthorized";
    if (err.reason === "notFound") return "hook_missing";
    return "code_host_unreachable";
  }
  if (err instanceof GitLabHttpError) {
    if (err.status === 401 || err.status === 403) return "unauthorized";
    if (err.status === 404) return "hook_missing";
    return "code_host_unreachable";
  }
  if (err instanceof GitLabError) {
    if (err.reason === "unauthorized" || err.reason === "forbidden") return "unauthorized";
    if (err.reason === "missingToken") return "credentials_missing";
    if (err.reason === "notFound" || err.reason === "groupHooksUnavailable") return "hook_missing";
    return "code_host_unreachable";
  }
  if (err instanceof BitbucketServerError) {
    if (err.reason === "notSystemAdmin") return "unauthorized";
    if (err.reason === "missingCredentials") return "credentials_missing";
    if (err.reason === "noPlugin") return "hook_missing";
    return "code_host_unreachable";
  }
  if (err instanceof BitbucketCloudError) {
    if (err.reason === "unauthorized" || err.reason === "forbidden") return "unauthorized";
    if (err.reason === "missingCredentials") return "credentials_missing";
    if (err.reason === "notFound") return "hook_missing";
    return "code_host_unreachable";
  }
  return "code_host_unreachable";
}

const HOST_NAMES: Record<CodeHost, string> = {
  github: "GitHub",
  gitlab: "GitLab",
  bitbucketServer: "Bitbucket Server",
  bitbucketCloud: "Bitbucket Cloud",
};

export function hostName(host: CodeHost): string {
  return HOST_NAMES[host];
}

function fixFor(code: FailureCode, host: CodeHost, where: string): string {
  switch (code) {
    case "unauthorized":
    case "credentials_missing":
      return CREDENTIAL_HINTS[host];
    case "hook_missing":
      return `check that ${where} exists and that the token can see it, then run pulumi up to create the hook`;
    default:
      return `check that ${hostName(host)} is up and reachable from here at the connection's URL`;
  }
}

/** A finding for an error from a code host call about `at`. */
export function hostFailure(
  at: Subject,
  check: CheckName,
  host: CodeHost,
  err: unknown,
  secrets: SecretBag,
): Check {
  const code = hostCode(err);
  const message =
    err instanceof ConnectionError || err instanceof AmbiguousRequestError || err instanceof Error
      ? err.message
      : String(err);
  return finding(at, check, code, secrets.clean(message), fixFor(code, host, at.target));
}

/** A finding for an error from a Sourcegraph call. */
export function sourcegraphFailure(at: Subject, check: CheckName, err: unknown, secrets: SecretBag): Check {
  const message = secrets.clean(err instanceof Error ? err.message : String(err));
  if (err instanceof SourcegraphError) {
    if (err.reason === "unauthorized" || err.reason === "notAdmin" || err.reason === "forbidden") {
      return finding(at, check, "unauthorized", message, CREDENTIAL_HINTS.sourcegraph);
    }
    if (err.reason === "config") {
      return finding(at, check, "credentials_missing", message, CREDENTIAL_HINTS.sourcegraph);
    }
  }
  return finding(
    at,
    check,
    "sourcegraph_unreachable",
    message,
    "check SRC_ENDPOINT (the instance URL, without /.api) and that Sourcegraph is up and reachable from here",
  );
}

/** The message of a missing credential for a host. */
export function missingCredential(at: Subject, check: CheckName, host: CodeHost): Check {
  return finding(
    at,
    check,
    "credentials_missing",
    `no ${hostName(host)} credentials to read ${at.target}`,
    CREDENTIAL_HINTS[host],
  );
}
