import { ProviderError } from "../shared";
import { ENV } from "./types";

/** What to set when credentials are missing or refused. */
export const CREDENTIALS_HINT = `set ${ENV.token} (an access token), or ${ENV.email} and ${ENV.apiToken} (an Atlassian API token with your account e-mail), or give bitbucketCloud.token, or bitbucketCloud.email with bitbucketCloud.apiToken`;

export type BitbucketCloudErrorReason =
  | "unauthorized"
  | "forbidden"
  | "notFound"
  | "rateLimited"
  | "rejected"
  | "http"
  | "missingCredentials"
  | "gone";

/** Every message names the API and the fix, and never carries a credential or secret. */
export class BitbucketCloudError extends ProviderError<BitbucketCloudErrorReason> {
  override readonly name = "BitbucketCloudError";
  constructor(
    message: string,
    reason: BitbucketCloudErrorReason,
    /** The HTTP status, when Bitbucket answered. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, reason, options);
  }
}

/** The reason of an answer outside 2xx. */
export function reasonOf(status: number): BitbucketCloudErrorReason {
  switch (status) {
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "notFound";
    case 429:
      return "rateLimited";
    case 400:
      return "rejected";
    default:
      return "http";
  }
}

/** A refused credential (401): the next candidate credential may work. */
export function isRefused(err: unknown): boolean {
  return err instanceof BitbucketCloudError && err.reason === "unauthorized";
}
