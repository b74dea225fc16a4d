// The shapes the Bitbucket Cloud webhook provider reads and writes.

export const DEFAULT_API_URL = "https://api.bitbucket.org/2.0";
export const DEFAULT_DESCRIPTION = "Sourcegraph";
export const SERVICE = "Bitbucket Cloud";
/** Bumped when the shape of the outputs changes; `upgradeOutputs` reads every earlier one. */
export const SCHEMA_VERSION = 1;

export const ENV = {
  token: "BITBUCKET_CLOUD_TOKEN",
  email: "BITBUCKET_CLOUD_EMAIL",
  apiToken: "BITBUCKET_CLOUD_API_TOKEN",
} as const;

/** The connection input. `token` (an access token) or `email` + `apiToken` (an Atlassian API token). */
export interface Connection {
  apiUrl?: string;
  token?: string;
  email?: string;
  apiToken?: string;
}

/**
 * Inputs after check: `apiUrl` resolved, events normalized, description defaulted. Types rather
 * than interfaces, so that they are `Props`.
 */
export type Inputs = {
  /** Stored with the outputs too (a secret output), so that delete works after the program changes. */
  bitbucketCloud?: Connection;
  apiUrl: string;
  workspace: string;
  repository?: string;
  url: string;
  events: string[];
  description: string;
  /** In the outputs (a secret output), dropped by read when Bitbucket has lost it. */
  secret?: string;
};

/** What the state holds; read, update and delete need nothing else. */
export type Outputs = Inputs & {
  schemaVersion: number;
  /** The hook's UUID with braces, e.g. `{4f1c…}`; also the Pulumi ID. */
  uuid: string;
  active: boolean;
  /** Whether Bitbucket reports a secret on the hook. */
  secretSet: boolean;
};
