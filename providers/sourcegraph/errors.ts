import { ProviderError } from "../shared";

/** Why a Sourcegraph call failed; another token is tried after "unauthorized" and "notAdmin". */
export type SourcegraphErrorReason =
  | "unauthorized"
  | "notAdmin"
  | "forbidden"
  | "notFound"
  | "olderThan55"
  | "graphql"
  | "http"
  | "unreachable"
  | "config";

/** Every message names the instance and the fix, and never carries a token or secret. */
export class SourcegraphError extends ProviderError<SourcegraphErrorReason> {
  override readonly name = "SourcegraphError";
}

export const TOKEN_FIX = "set SRC_ACCESS_TOKEN or sourcegraph.accessToken";

export function unauthorized(endpoint: string): SourcegraphError {
  return new SourcegraphError(
    `Sourcegraph at ${endpoint} answered 401: the access token is invalid or expired (${TOKEN_FIX})`,
    "unauthorized",
  );
}

export function notSiteAdmin(endpoint: string): SourcegraphError {
  return new SourcegraphError(
    `Sourcegraph at ${endpoint} answered "must be site admin": incoming webhooks can only be managed with the access token of a site admin (${TOKEN_FIX} to a site admin's token)`,
    "notAdmin",
  );
}

export function olderThan55(endpoint: string): SourcegraphError {
  return new SourcegraphError(
    `Sourcegraph at ${endpoint} refused a secret for a Bitbucket Cloud receiver ("webhooks do not support secrets for code host kind BITBUCKETCLOUD"): Sourcegraph older than 5.5 accepts none. Upgrade Sourcegraph to 5.5 or later, or set secret: false on this receiver (its deliveries are then not verified)`,
    "olderThan55",
  );
}

export function missingToken(): SourcegraphError {
  return new SourcegraphError(
    `No Sourcegraph access token: ${TOKEN_FIX} to the access token of a site admin`,
    "config",
  );
}

export function missingEndpoint(): SourcegraphError {
  return new SourcegraphError(
    "No Sourcegraph endpoint: set SRC_ENDPOINT or sourcegraph.endpoint to the instance URL, such as https://sourcegraph.example.com",
    "config",
  );
}

export function cannotClearSecret(endpoint: string, id: string): SourcegraphError {
  return new SourcegraphError(
    `Sourcegraph at ${endpoint} cannot remove the secret of receiver ${id}: updateWebhook keeps the current secret when none is given. Keep a secret (remove secret: false), or delete the receiver and create it again without one (it then gets a new URL for the code hosts)`,
    "config",
  );
}

/** Authentication failures that another token may not have. */
export function isRefused(err: unknown): boolean {
  return err instanceof SourcegraphError && (err.reason === "unauthorized" || err.reason === "notAdmin");
}
