// GitLab's answers turned into errors that name the fix. GitLab's bodies: 401 `{"message":"401
// Unauthorized"}`, 403 `{"message":"403 Forbidden"}`, 404 `{"message":"404 Project Not Found"}` /
// `"404 Group Not Found"` / `"404 Not found"` (a hook), and Grape's `{"error":"404 Not Found"}`
// for a route the instance does not have (group hooks without Premium).
import { redact } from "../http";
import type { HookClient } from "./client";
import type { HookScope } from "./events";
import { GitLabHttpError } from "./requester";

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

export const missingTokenError = (instance: string): Error =>
  new Error(
    `no GitLab token for ${instance}: set gitlab.token or the GITLAB_TOKEN environment variable (a token with the api scope)`,
  );

export function unauthorizedMessage(instance: string, source: string | undefined): string {
  return `GitLab at ${instance} answered 401: the token${source ? ` from ${source}` : ""} is invalid, expired or revoked (set GITLAB_TOKEN or gitlab.token to a token with the api scope)`;
}

export function forbiddenMessage(scope: HookScope, owner: string, instance: string): string {
  return scope === "project"
    ? `GitLab at ${instance} answered 403 on project "${owner}": managing project hooks needs the Maintainer or Owner role on the project and a token with the api scope`
    : `GitLab at ${instance} answered 403 on group "${owner}": managing group hooks needs the Owner role on the group, a token with the api scope, and GitLab Premium or Ultimate`;
}

export function notFoundMessage(scope: HookScope, owner: string, instance: string): string {
  return scope === "project"
    ? `GitLab project "${owner}" was not found at ${instance} (404): check the numeric ID or full path (group/sub/project), and that the token's user is a member of it`
    : `GitLab group "${owner}" was not found at ${instance} (404): check the numeric ID or full path (group/subgroup), and that the token's user is a member of it`;
}

export function tierMessage(owner: string, instance: string): string {
  return `group webhooks are not available on GitLab at ${instance}: they need GitLab Premium or Ultimate (404 on /groups/${encodeURIComponent(owner)}/hooks although group "${owner}" exists); use project hooks instead`;
}

/**
 * Rewrites an error from a GitLab call into one that names the fix; other errors (connection,
 * ambiguous request) already name the server and pass through. Always redacted.
 */
export async function explain(err: unknown, ctx: ErrorContext, client?: HookClient): Promise<Error> {
  const out = await describe(err, ctx, client);
  const message = redact(out.message, ctx.secrets);
  if (message === out.message) return out;
  const safe = new Error(message);
  safe.name = out.name;
  return safe;
}

async function describe(err: unknown, ctx: ErrorContext, client?: HookClient): Promise<Error> {
  if (!(err instanceof GitLabHttpError)) return err instanceof Error ? err : new Error(String(err));
  const { scope, owner, instance } = ctx;
  switch (err.status) {
    case 401:
      return new Error(unauthorizedMessage(instance, ctx.tokenSource));
    case 403:
      return new Error(forbiddenMessage(scope, owner, instance));
    case 404: {
      const kind = notFoundKind(err);
      if (kind === "project" || kind === "group") return new Error(notFoundMessage(scope, owner, instance));
      if (scope === "group" && client && /\/hooks$/.test(new URL(err.url).pathname)) {
        // Without Premium the group hook routes do not exist at all: tell that from a missing group.
        const exists = await client.ownerExists(owner).catch(() => undefined);
        if (exists === true) return new Error(tierMessage(owner, instance));
        if (exists === false) return new Error(notFoundMessage(scope, owner, instance));
      }
      return new Error(
        `GitLab at ${instance} answered 404 to ${err.method} ${new URL(err.url).pathname}: ${err.gitlabMessage}`,
      );
    }
    case 400:
    case 422: {
      const hint = /blocked/i.test(err.gitlabMessage)
        ? " (a GitLab administrator can allow requests to the local network under Admin > Settings > Network > Outbound requests)"
        : "";
      return new Error(
        `GitLab at ${instance} rejected the ${scope} hook (${err.status}): ${err.gitlabMessage}${hint}`,
      );
    }
    default:
      return new Error(
        `GitLab at ${instance} answered ${err.status} to ${err.method} ${new URL(err.url).pathname}: ${err.gitlabMessage}`,
      );
  }
}
