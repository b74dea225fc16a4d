/** The connection as given in `bitbucketServer`; credentials are stored only when given here. */
export interface BitbucketServerConnection {
  readonly url?: string;
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
}

/**
 * Inputs after check: normalized, with the instance URL resolved (from the environment if need
 * be). Types rather than interfaces, so that they are `Props`.
 */
export type Inputs = {
  readonly bitbucketServer?: BitbucketServerConnection;
  /** The instance URL without a trailing slash; the hook lives there for its whole life. */
  readonly instanceUrl: string;
  /** The plugin's `name`: its upsert key. */
  readonly webhookName: string;
  /** `global`, `project:<project name>` or `repository:<PROJECT KEY>/<repo slug>`. */
  readonly scope: string;
  /** The plugin's `endpoint`: the Sourcegraph receiver URL. */
  readonly url: string;
  readonly secret: string;
  /** Sorted and de-duplicated. */
  readonly events: string[];
};

export type Outputs = Inputs & {
  /** The plugin's numeric id, which its POST does not return: read back by name. */
  readonly webhookId: number;
  /**
   * The scope as the plugin's GET reports it: it re-resolves stored ids to names, so
   * `repository:KEY/slug` comes back as `repository:<project name>/<repo name>`. Read compares
   * against this to tell drift from a mere change of spelling.
   */
  readonly remoteScope: string;
  readonly schemaVersion: 1;
};

/** One element of the plugin's GET answer. */
export interface PluginWebhook {
  readonly id: number;
  readonly name: string;
  readonly scope: string;
  readonly events: string[];
  readonly endpoint: string;
  readonly secret?: string;
  readonly lastError?: string;
  readonly lastEvent?: string;
}

/** Bumped when the shape of the outputs changes; `upgradeOutputs` reads every earlier one. */
export const SCHEMA_VERSION = 1;
export const PLUGIN_PATH = "/rest/sourcegraph-admin/1.0/webhook";
