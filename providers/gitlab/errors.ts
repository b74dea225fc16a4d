// GitLab's answers turned into errors that name the fix. GitLab's bodies: 401 `{"message":"401
// Unauthorized"}`, 403 `{"message":"403 Forbidden"}`, 404 `{"message":"404 Project Not Found"}` /
// `"404 Group Not Found"` / `"404 Not found"` (a hook), and Grape's `{"error":"404 Not Found"}`
// for a route the instance does not have (group hooks without Premium).
import { HttpError, type HttpMethod, redact } from "../http";
import { ProviderError } from "../shared";
import type { HookClient } from "./client";
import type { HookScope } from "./types";

/** A non-2xx answer from GitLab, with GitLab's `message` or `error` text when it sent one. */
export class GitLabHttpError extends HttpError {
  constructor(
    message: string,
    status: number,
    url: string,
    body: string,
    headers: Record<string, string>,
    readonly method: HttpMethod,
    /** GitLab's `message` (`"404 Project Not Found"`) or `error` (`"404 Not Found"` for an unknown route). */
    readonly gitlabMessage: string,
    /** True when the answer came as `{"error": ...}`: Grape's shape for a route that does not exist. */
    readonly routeError: boolean,
  ) {
    super(message, status, url, body, headers);
  }
}

export type GitLabErrorReason =
  | "unauthorized"
  | "forbidden"
  | "notFound"
  | "groupHooksUnavailable"
  | "rejected"
  | "http"
  | "missingToken"
  | "gone"
  | "invalidInputs";

/** Every message names the instance and the fix, and never carries a token or secret. */
export class GitLabError extends ProviderError<GitLabErrorReason> {
  override readonly name = "GitLabError";
}

export interface ErrorContext {
  readonly scope: HookScope;
  readonly owner: string;
  readonly instance: string;
  /** Where the token came from, for the 401 message. */
  readonly tokenSource?: string;
  readonly secrets: ReadonlyArray<string | undefined>;
}

export type NotFoundKind = "project" | "group" | "hook" | "route" | "other";

/** What a 404 says is missing. */
export function notFoundKind(err: unknown): NotFoundKind | undefined {
  if (!(err instanceof GitLabHttpError) || err.status !== 404) return undefined;
  if (err.routeError) return "route";
  const m = err.gitlabMessage.toLowerCase();
  if (m.includes("project not found")) return "project";
  if (m.includes("group not found")) return "group";
  if (m === "404 not found" || m.includes("hook")) return "hook";
  return "other";
}

export const missingToken = (instance: string): GitLabError =>
  new GitLabError(
    `no GitLab token for ${instance}: set gitlab.token or the GITLAB_TOKEN environment variable (a token with the api scope)`,
    "missingToken",
  );

export function unauthorized(
  instance: string,
  source: string | undefined,
  secrets: ReadonlyArray<string | undefined>,
  cause?: unknown,
): GitLabError {
  return new GitLabError(
    redact(
      `GitLab at ${instance} answered 401: the token${source ? ` from ${source}` : ""} is invalid, expired or revoked (set GITLAB_TOKEN or gitlab.token to a token with the api scope)`,
      secrets,
    ),
    "unauthorized",
    { cause },
  );
}

function forbiddenMessage(scope: HookScope, owner: string, instance: string): string {
  return scope === "project"
    ? `GitLab at ${instance} answered 403 on project "${owner}": managing project hooks needs the Maintainer or Owner role on the project and a token with the api scope`
    : `GitLab at ${instance} answered 403 on group "${owner}": managing group hooks needs the Owner role on the group, a token with the api scope, and GitLab Premium or Ultimate`;
}

function notFoundMessage(scope: HookScope, owner: string, instance: string): string {
  return scope === "project"
    ? `GitLab project "${owner}" was not found at ${instance} (404): check the numeric ID or full path (group/sub/project), and that the token's user is a member of it`
    : `GitLab group "${owner}" was not found at ${instance} (404): check the numeric ID or full path (group/subgroup), and that the token's user is a member of it`;
}

function tierMessage(owner: string, instance: string): string {
  return `group webhooks are not available on GitLab at ${instance}: they need GitLab Premium or Ultimate (404 on /groups/${encodeURIComponent(owner)}/hooks although group "${owner}" exists); use project hooks instead`;
}

/**
 * Turns an error from a GitLab call into one that names the fix; other errors (connection,
 * ambiguous request) already name the server and pass through. Always redacted.
 */
export async function explain(err: unknown, ctx: ErrorContext, client?: HookClient): Promise<Error> {
  if (err instanceof GitLabHttpError) {
    const [message, reason] = await describe(err, ctx, client);
    return new GitLabError(redact(message, ctx.secrets), reason, { cause: err });
  }
  const out = err instanceof Error ? err : new Error(String(err));
  const message = redact(out.message, ctx.secrets);
  if (message === out.message) return out;
  const safe = new Error(message);
  safe.name = out.name;
  return safe;
}

async function describe(
  err: GitLabHttpError,
  ctx: ErrorContext,
  client?: HookClient,
): Promise<[string, GitLabErrorReason]> {
  const { scope, owner, instance } = ctx;
  const path = new URL(err.url).pathname;
  switch (err.status) {
    case 401:
      return [unauthorized(instance, ctx.tokenSource, []).message, "unauthorized"];
    case 403:
      return [forbiddenMessage(scope, owner, instance), "forbidden"];
    case 404: {
      const kind = notFoundKind(err);
      if (kind === "project" || kind === "group")
        return [notFoundMessage(scope, owner, instance), "notFound"];
      if (scope === "group" && client && /\/hooks$/.test(path)) {
        // Without Premium the group hook routes do not exist at all: tell that from a missing group.
        const exists = await client.ownerExists(owner).catch(() => undefined);
        if (exists === true) return [tierMessage(owner, instance), "groupHooksUnavailable"];
        if (exists === false) return [notFoundMessage(scope, owner, instance), "notFound"];
      }
      return [
        `GitLab at ${instance} answered 404 to ${err.method} ${path}: ${err.gitlabMessage}`,
        "notFound",
      ];
    }
    case 400:
    case 422: {
      const hint = /blocked/i.test(err.gitlabMessage)
        ? " (a GitLab administrator can allow requests to the local network under Admin > Settings > Network > Outbound requests)"
        : "";
      return [
        `GitLab at ${instance} rejected the ${scope} hook (${err.status}): ${err.gitlabMessage}${hint}`,
        "rejected",
      ];
    }
    default:
      return [
        `GitLab at ${instance} answered ${err.status} to ${err.method} ${path}: ${err.gitlabMessage}`,
        "http",
      ];
  }
}
