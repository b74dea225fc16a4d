import { ProviderError } from "../shared";

/** Why a GitHub call failed. */
export type GitHubErrorReason =
  | "unauthorized"
  | "forbidden"
  | "notFound"
  | "rateLimited"
  | "rejected"
  | "unreachable"
  | "ambiguous"
  | "http";

/** Every message names the API and the fix, and never carries the token. */
export class GitHubError extends ProviderError<GitHubErrorReason> {
  override readonly name = "GitHubError";
  constructor(
    message: string,
    reason: GitHubErrorReason,
    /** The HTTP status, when GitHub answered. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, reason, options);
  }
}

/** What each kind of hook needs, for 401, 403 and 404 messages. */
export const PERMISSIONS = {
  organization:
    "organization hooks need an organization owner's token: a classic token with the admin:org_hook scope, or a fine-grained token with the organization's Webhooks permission (read and write)",
  repository:
    "repository hooks need a token of a repository admin: a classic token with admin:repo_hook (or repo), or a fine-grained token with the repository's Webhooks permission (read and write)",
} as const;
