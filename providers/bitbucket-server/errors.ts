import { CREDENTIAL_SETTINGS } from "./credentials";
import { PLUGIN_PATH } from "./types";

/** The user is not a system administrator, or the credential is wrong: the plugin answers 401 to both. */
export class NotSystemAdminError extends Error {
  override readonly name = "NotSystemAdminError";
  constructor(
    readonly instanceUrl: string,
    readonly sources: readonly string[],
  ) {
    super(
      `managing plugin webhooks needs a Bitbucket system administrator (401): the Bitbucket Server at ${instanceUrl} refused the credentials from ${sources.join(", then ")}; set ${CREDENTIAL_SETTINGS} to a system administrator's HTTP access token or username and password`,
    );
  }
}

export function noPluginError(instanceUrl: string): Error {
  return new Error(
    `the Bitbucket Server at ${instanceUrl} has no Sourcegraph plugin (404 on ${PLUGIN_PATH}): install the Sourcegraph Bitbucket Server plugin (https://github.com/sourcegraph/bitbucket-server-plugin), or check bitbucketServer.url / BITBUCKET_SERVER_URL (it is the instance URL, with its context path if any)`,
  );
}

export function missingCredentialsError(instanceUrl: string): Error {
  return new Error(
    `no credentials for the Bitbucket Server at ${instanceUrl}: set ${CREDENTIAL_SETTINGS} (a system administrator's)`,
  );
}
