// The credential each host is called with: a plain value from the stack file when there is one
// (the sandbox writes its stand-ins' tokens so), else the environment variable the providers read.
// `secure:` values are never decrypted, so an encrypted token is always replaced by the environment's.
import { credentialFromEnv as bitbucketCloudEnv } from "../../providers/bitbucket-cloud/credentials";
import { credentialFromEnv as bitbucketServerEnv } from "../../providers/bitbucket-server/credentials";
import { type Credential, env, tokenCredential, tokenOrBasic } from "../../providers/shared";
import type { CodeHost, PlannedConnection } from "./types";

/** What to set when a host's credential is missing, and what it must be able to do. */
export const CREDENTIAL_HINTS: Record<CodeHost | "sourcegraph", string> = {
  sourcegraph: "set SRC_ACCESS_TOKEN to a site admin's access token (and SRC_ENDPOINT to the instance URL)",
  github:
    "set GITHUB_TOKEN: an organization owner's token with admin:org_hook for organization hooks, a repository admin's token for repository hooks",
  gitlab:
    "set GITLAB_TOKEN to a token with the api scope of a user with the Maintainer or Owner role on each project (Owner on each group)",
  bitbucketServer:
    "set BITBUCKET_SERVER_TOKEN (or BITBUCKET_SERVER_USERNAME and BITBUCKET_SERVER_PASSWORD) to a system administrator's",
  bitbucketCloud:
    "set BITBUCKET_CLOUD_TOKEN (an access token with the webhook scope), or BITBUCKET_CLOUD_EMAIL and BITBUCKET_CLOUD_API_TOKEN",
};

/** The credential for a connection's code host, or undefined when none is set. */
export function hostCredential(connection: PlannedConnection): Credential | undefined {
  const declared = connection.declaredCredentials ?? {};
  switch (connection.codeHost) {
    case "github":
      return (
        tokenCredential(declared.token, `${connection.id} token in the stack file`) ??
        tokenCredential(env("GITHUB_TOKEN"), "GITHUB_TOKEN")
      );
    case "gitlab":
      return (
        tokenCredential(declared.token, `${connection.id} token in the stack file`) ??
        tokenCredential(env("GITLAB_TOKEN"), "GITLAB_TOKEN")
      );
    case "bitbucketServer":
      return (
        tokenOrBasic(
          (n) => declared[n],
          { token: "token", username: "username", password: "password" },
          `${connection.id} `,
        ) ?? bitbucketServerEnv()
      );
    case "bitbucketCloud":
      return (
        tokenOrBasic(
          (n) => declared[n],
          { token: "token", username: "email", password: "apiToken" },
          `${connection.id} `,
        ) ?? bitbucketCloudEnv()
      );
  }
}
