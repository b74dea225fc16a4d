import { ProviderError } from "../shared";
import { PLUGIN_PATH } from "./types";

export const CREDENTIAL_SETTINGS =
  "bitbucketServer.token (or bitbucketServer.username + bitbucketServer.password), or the environment variables BITBUCKET_SERVER_TOKEN (or BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD)";

export type BitbucketServerErrorReason =
  | "notSystemAdmin"
  | "noPlugin"
  | "missingCredentials"
  | "scopeNotFound"
  | "rejected"
  | "notListed"
  | "http"
  | "invalidState";

/** Every message names the instance and the fix, and never carries a credential or secret. */
export class BitbucketServerError extends ProviderError<BitbucketServerErrorReason> {
  override readonly name: string = "BitbucketServerError";
}

/** The user is not a system administrator, or the credential is wrong: the plugin answers 401 to both. */
export class NotSystemAdminError extends BitbucketServerError {
  override readonly name = "NotSystemAdminError";
  constructor(
    readonly instanceUrl: string,
    /** Where each credential tried came from, in order. */
    readonly sources: readonly string[],
  ) {
    super(
      `managing plugin webhooks needs a Bitbucket system administrator (401): the Bitbucket Server at ${instanceUrl} refused the credentials from ${sources.join(", then ")}; set ${CREDENTIAL_SETTINGS} to a system administrator's HTTP access token or username and password`,
      "notSystemAdmin",
    );
  }
}

export function noPlugin(instanceUrl: string): BitbucketServerError {
  return new BitbucketServerError(
    `the Bitbucket Server at ${instanceUrl} has no Sourcegraph plugin (404 on ${PLUGIN_PATH}): install the Sourcegraph Bitbucket Server plugin (https://github.com/sourcegraph/bitbucket-server-plugin), or check bitbucketServer.url / BITBUCKET_SERVER_URL (it is the instance URL, with its context path if any)`,
    "noPlugin",
  );
}

export function missingCredentials(instanceUrl: string): BitbucketServerError {
  return new BitbucketServerError(
    `no credentials for the Bitbucket Server at ${instanceUrl}: set ${CREDENTIAL_SETTINGS} (a system administrator's)`,
    "missingCredentials",
  );
}
